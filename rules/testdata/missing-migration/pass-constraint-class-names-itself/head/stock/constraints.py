from django.db import models


class UniqueConstraint(models.UniqueConstraint):
    """A UniqueConstraint that, unless named, names itself after its app,
    model and fields (Django fills in %(app_label)s and %(class)s)."""

    def __init__(self, *expressions, fields=(), name=None, **kwargs):
        if name is None:
            name = "%(app_label)s_%(class)s_" + "_".join(fields) + "_uniq"
        super().__init__(*expressions, fields=fields, name=name, **kwargs)
