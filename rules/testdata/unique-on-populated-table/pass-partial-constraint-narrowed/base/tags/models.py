from django.db import models


class Label(models.Model):
    name = models.CharField(max_length=50)
    project = models.CharField(max_length=50, null=True)
    deleted_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["name", "project"], condition=models.Q(deleted_at__isnull=True), name="tags_label_name_project_live"
            ),
        ]
