from django.db import models


class Preference(models.Model):
    """A user's preferences for one event, or for every event (no event)."""

    user = models.CharField(max_length=50)
    event = models.CharField(max_length=50, null=True)
    theme = models.CharField(max_length=20, default="light")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(event__isnull=True), name="prefs_one_global_per_user"
            ),
        ]
