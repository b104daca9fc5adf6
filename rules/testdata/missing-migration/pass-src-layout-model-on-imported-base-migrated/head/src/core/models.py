from django.db import models


class Referenced(models.Model):
    reference = models.CharField(max_length=32, unique=True)

    class Meta:
        abstract = True
