from django.db import models

from core.models import Referenced


class Product(Referenced):
    name = models.CharField(max_length=100)
