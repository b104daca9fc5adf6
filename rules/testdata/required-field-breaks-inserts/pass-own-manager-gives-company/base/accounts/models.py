from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class Company(models.Model):
    name = models.CharField(max_length=100)


class AccountManager(UserManager):
    def create_user(self, username, email=None, password=None, **extra_fields):
        return super().create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    objects = AccountManager()
