from django.db import models


class Ticket(models.Model):
    class Status(models.IntegerChoices):
        OPEN = 0
        PENDING = 1
        CLOSED = 2

    title = models.CharField(max_length=200)
    status = models.IntegerField(choices=Status.choices, default=Status.OPEN)

    class Meta:
        constraints = [
            models.CheckConstraint(check=models.Q(status__in=[0, 1, 2]), name="tickets_ticket_status_choices"),
        ]
