from django.db import models
from model_utils.models import TimeStampedModel


class Blog(models.Model):
    name = models.CharField(max_length=100)


class Post(TimeStampedModel):
    blog = models.ForeignKey(Blog, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
