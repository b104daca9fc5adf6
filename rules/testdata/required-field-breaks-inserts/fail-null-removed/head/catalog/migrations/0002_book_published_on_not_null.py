import datetime

from django.db import migrations, models


def fill_published_on(apps, schema_editor):
    Book = apps.get_model("catalog", "Book")
    Book.objects.filter(published_on__isnull=True).update(published_on=datetime.date(2000, 1, 1))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(fill_published_on, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="book",
            name="published_on",
            field=models.DateField(),
        ),
    ]
