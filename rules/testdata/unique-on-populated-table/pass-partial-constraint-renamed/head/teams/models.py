from django.db import models


class Membership(models.Model):
    team = models.CharField(max_length=50)
    member = models.CharField(max_length=50)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "member"], condition=models.Q(left_at__isnull=True), name="teams_membership_active_uniq"
            ),
        ]
