from django.db import models

from stock.constraints import UniqueConstraint


class Item(models.Model):
    shop = models.CharField(max_length=50)
    sku = models.CharField(max_length=30)

    class Meta:
        constraints = [UniqueConstraint(fields=["shop", "sku"])]
