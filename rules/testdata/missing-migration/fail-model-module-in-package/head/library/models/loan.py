from django.db import models


class Loan(models.Model):
    book = models.ForeignKey("library.Book", on_delete=models.CASCADE)
    borrower = models.CharField(max_length=100)

    class Meta:
        app_label = "library"
