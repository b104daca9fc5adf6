from django.db import models


class Label(models.Model):
    name = models.CharField(max_length=50)
    project = models.CharField(max_length=50, null=True)
    deleted_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            # The same rule, said only of labels that belong to a project.
            models.UniqueConstraint(
                fields=["project", "name"],
                condition=models.Q(deleted_at__isnull=True, project__isnull=False),
                name="tags_label_project_name_live",
            ),
        ]
