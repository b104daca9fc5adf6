from django.db import models


class Entry(models.Model):
    book = models.CharField(max_length=40)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    import_ref = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["book", "import_ref"], name="ledger_entry_book_import_ref_uniq"),
        ]
