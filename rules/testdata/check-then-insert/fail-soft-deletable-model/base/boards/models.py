from django.db import models
from model_utils.models import SoftDeletableModel


class Member(SoftDeletableModel):
    email = models.EmailField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=models.Q(is_removed=False),
                name="boards_member_live_email_uniq",
            ),
        ]
