from django.db.models.signals import pre_save
from django.dispatch import receiver

from catalog.models import Author


@receiver(pre_save, sender=Author)
def normalize_email(sender, instance, **kwargs):
    instance.email = instance.email.lower()
