from django.db import models


class Group(models.Model):
    name = models.CharField(max_length=50)


class Tag(models.Model):
    label = models.CharField(
        max_length=50,
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.CASCADE,
    )


# Tags may stand alone: the group is optional, set after the class as the
# shared base declares it required.
Tag._meta.get_field("group").null = True
