from django.db import models


class Priced(models.Model):
    price = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(check=models.Q(price__gte=0), name="%(app_label)s_%(class)s_price_gte_0"),
        ]


class Product(Priced):
    sku = models.CharField(max_length=32)

    class Meta(Priced.Meta):
        constraints = [
            *Priced.Meta.constraints,
            models.UniqueConstraint(fields=["sku"], name="product_sku_uniq"),
        ]
