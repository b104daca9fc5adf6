from django.db import models
from model_utils.models import SoftDeletableModel


class Tag(SoftDeletableModel):
    name = models.CharField(max_length=50)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name"], condition=models.Q(is_removed=False), name="tags_tag_live_name_uniq"),
        ]
