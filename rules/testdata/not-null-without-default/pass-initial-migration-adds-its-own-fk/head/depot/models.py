from django.db import models


class Warehouse(models.Model):
    name = models.CharField(max_length=100)


class Bin(models.Model):
    label = models.CharField(max_length=20)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE)
