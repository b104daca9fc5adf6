from django.db import models


class ApiKey(models.Model):
    owner = models.CharField(max_length=100)
    key = models.CharField(max_length=64, unique=True)
