from django.db import models


class User(models.Model):
    username = models.CharField(max_length=150, unique=True)
    email = models.EmailField()


class UserProfile(models.Model):
    username = models.CharField(max_length=100, unique=True)
    email = models.EmailField()
