from django.db import models


class Entry(models.Model):
    book = models.CharField(max_length=40)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
