from django.db import models


class SoftDeleteManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class Board(models.Model):
    name = models.CharField(max_length=100)


class Member(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE)
    email = models.EmailField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = SoftDeleteManager()
    all_objects = models.Manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["board", "email"],
                condition=models.Q(deleted_at__isnull=True),
                name="boards_member_live_email_uniq",
            ),
        ]


class Seat(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE)
    email = models.EmailField()
    status = models.CharField(max_length=10, default="reserved")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["board", "email"],
                condition=models.Q(status="taken"),
                name="boards_seat_taken_email_uniq",
            ),
        ]


class Banner(models.Model):
    site_name = models.CharField(max_length=100)
    text = models.TextField(default="")

    def save(self, *args, **kwargs):
        self.pk = 1  # one banner for the whole site
        super().save(*args, **kwargs)
