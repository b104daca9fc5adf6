from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0002_drop_legacy_fields"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="product",
            name="note",
        ),
    ]
