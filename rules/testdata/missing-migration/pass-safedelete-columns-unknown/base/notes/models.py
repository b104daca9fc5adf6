from django.db import models
from safedelete.models import SafeDeleteModel


class Note(SafeDeleteModel):
    title = models.CharField(max_length=200)
