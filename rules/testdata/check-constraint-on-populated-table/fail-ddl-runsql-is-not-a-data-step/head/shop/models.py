from django.db import models


class Order(models.Model):
    total = models.DecimalField(max_digits=9, decimal_places=2)
    discount = models.DecimalField(max_digits=9, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(check=models.Q(total__gte=0), name="order_total_non_negative"),
        ]
