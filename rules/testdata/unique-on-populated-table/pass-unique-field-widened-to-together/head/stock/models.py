from django.db import models


class Item(models.Model):
    shop = models.CharField(max_length=50)
    sku = models.CharField(max_length=30)

    class Meta:
        unique_together = [("shop", "sku")]
