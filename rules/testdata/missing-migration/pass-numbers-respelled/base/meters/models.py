from django.db import models


class Reading(models.Model):
    # unique=True was added here without its migration, before this change.
    sensor = models.CharField(max_length=50, unique=True, verbose_name=u'Sensor')
    value = models.FloatField(default=0.)
    scale = models.FloatField(default=1E3)
