from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class Company(models.Model):
    name = models.CharField(max_length=100)


class AccountManager(UserManager):
    def create_user(self, username, email=None, password=None, **extra_fields):
        # Every account belongs to a company: the default one unless given.
        if "company" not in extra_fields:
            extra_fields["company"], _ = Company.objects.get_or_create(name="Default")
        return super().create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    company = models.ForeignKey(Company, on_delete=models.PROTECT)

    objects = AccountManager()
