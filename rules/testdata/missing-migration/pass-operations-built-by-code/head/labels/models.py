from django.db import models


class Color(models.Model):
    label = models.CharField(max_length=20, unique=True)


class Size(models.Model):
    label = models.CharField(max_length=20, unique=True)


class Shape(models.Model):
    label = models.CharField(max_length=20, unique=True)
