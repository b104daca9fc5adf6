import csv

from django.core.management.base import BaseCommand

from api.models import Partner


class Command(BaseCommand):
    help = "Adds the partners of a CSV file that are not there yet."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, **options):
        with open(options["path"], newline="") as f:
            for row in csv.DictReader(f):
                if not Partner.objects.filter(code=row["code"]).exists():
                    Partner.objects.create(code=row["code"], name=row["name"])
