from django.db.models.signals import pre_save
from django.dispatch import receiver

from catalog.models import Author

UNKNOWN_BIRTH_YEAR = 1900


@receiver(pre_save, sender=Author)
def normalize_email(sender, instance, **kwargs):
    instance.email = instance.email.lower()
    if instance.birth_year is None:
        instance.birth_year = UNKNOWN_BIRTH_YEAR
