from django.db import migrations


def seed(apps, schema_editor):
    Author = apps.get_model("catalog", "Author")
    Author.objects.create(name="Anonymous", email="anonymous@example.com")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
