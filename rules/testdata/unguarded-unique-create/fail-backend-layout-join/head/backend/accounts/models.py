from django.db import models


class Member(models.Model):
    handle = models.CharField(max_length=40, unique=True)
    display_name = models.CharField(max_length=100)
