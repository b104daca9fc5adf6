from django.db import models


class Document(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200, blank=True)
