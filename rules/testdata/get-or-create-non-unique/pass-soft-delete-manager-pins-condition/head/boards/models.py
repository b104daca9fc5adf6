from django.db import models


class SoftDeletionManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(models.Model):
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = SoftDeletionManager()
    all_objects = models.Manager()

    class Meta:
        abstract = True


class Board(models.Model):
    name = models.CharField(max_length=100)


class BoardPreference(SoftDeleteModel):
    board = models.ForeignKey(Board, on_delete=models.CASCADE)
    member = models.CharField(max_length=150)
    collapsed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["board", "member"],
                condition=models.Q(deleted_at__isnull=True),
                name="boards_preference_live_uniq",
            ),
        ]
