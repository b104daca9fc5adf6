from django.db import models


class Preference(models.Model):
    user = models.CharField(max_length=50)
    event = models.CharField(max_length=50)
    theme = models.CharField(max_length=20, default="light")
