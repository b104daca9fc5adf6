from django.db import models


class Answer(models.Model):
    question = models.CharField(max_length=200)
    # NullBooleanField forces null=True itself: saying so changes nothing.
    agrees = models.NullBooleanField(null=True, blank=True, default=None)
