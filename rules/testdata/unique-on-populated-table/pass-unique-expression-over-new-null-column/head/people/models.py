from django.db import models


class Profile(models.Model):
    name = models.CharField(max_length=100)
    robot_role = models.CharField(max_length=20, null=True, blank=True, default=None)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                models.F("robot_role"),
                condition=models.Q(robot_role__isnull=False),
                name="people_profile_robot_role_uniq",
            ),
        ]
