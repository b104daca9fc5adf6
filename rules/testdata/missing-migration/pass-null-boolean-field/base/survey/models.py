from django.db import models


class Answer(models.Model):
    question = models.CharField(max_length=200)
    agrees = models.NullBooleanField()
