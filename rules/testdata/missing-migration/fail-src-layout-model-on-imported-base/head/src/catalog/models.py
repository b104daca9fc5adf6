from django.db import models

from core.models import Referenced


class Product(Referenced):
    name = models.CharField(max_length=100)


class Voucher(Referenced):
    amount = models.DecimalField(max_digits=9, decimal_places=2)
