from django.db import models


class OptionalCodeField(models.CharField):
    """A code that may be missing: stored as NULL, never as "", so that
    several rows without one do not collide on the unique index."""

    def __init__(self, *args, **kwargs):
        kwargs["null"] = True
        kwargs["blank"] = True
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value or None
