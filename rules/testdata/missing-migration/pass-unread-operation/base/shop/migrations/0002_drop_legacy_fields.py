from django.db import migrations

# The columns the old importer filled, dropped once it was retired.
LEGACY_FIELDS = ["legacy_code"]


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0001_initial"),
    ]

    operations = [
        migrations.RemoveField(model_name="product", name=LEGACY_FIELDS[0]),
    ]
