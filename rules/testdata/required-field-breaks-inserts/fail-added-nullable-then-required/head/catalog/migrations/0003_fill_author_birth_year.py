from django.db import migrations


def fill_birth_year(apps, schema_editor):
    Author = apps.get_model("catalog", "Author")
    Author.objects.filter(birth_year__isnull=True).update(birth_year=1970)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_author_birth_year"),
    ]

    operations = [
        migrations.RunPython(fill_birth_year, migrations.RunPython.noop),
    ]
