from django.db import models


class Order(models.Model):
    number = models.CharField(max_length=20)
    note = models.TextField()
    total = models.DecimalField(max_digits=9, decimal_places=2)

    def __str__(self):
        return self.number
