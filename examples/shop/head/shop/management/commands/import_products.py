import csv
from decimal import Decimal

from django.core.management.base import BaseCommand

from shop.models import Category, Product


class Command(BaseCommand):
    help = "Import products from a CSV file with the columns sku, name, price and category (a slug)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, **options):
        with open(options["path"], newline="") as f:
            for row in csv.DictReader(f):
                category = Category.objects.get(slug=row["category"])
                Product.objects.create(
                    sku=row["sku"],
                    name=row["name"],
                    price=Decimal(row["price"]),
                    category=category,
                )
