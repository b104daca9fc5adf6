from django.db import models


class AbstractAccount(models.Model):
    owner = models.CharField(max_length=100)
    number = models.CharField(max_length=34)

    class Meta:
        abstract = True
        unique_together = [("owner", "number")]


class Account(AbstractAccount):
    class Meta(AbstractAccount.Meta):
        abstract = False
        verbose_name = "account"
        ordering = ["number"]
