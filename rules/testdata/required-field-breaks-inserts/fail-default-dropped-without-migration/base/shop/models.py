from decimal import Decimal

from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    total = models.DecimalField(max_digits=9, decimal_places=2)
    priority = models.PositiveSmallIntegerField(default=3)

    @classmethod
    def empty_for(cls, customer_id):
        return cls.objects.create(customer_id=customer_id, total=Decimal("0"))
