from django.db import models

from catalog.fields import OptionalCodeField


class Supplier(models.Model):
    name = models.CharField(max_length=100)
    code = OptionalCodeField(max_length=20, unique=True)
