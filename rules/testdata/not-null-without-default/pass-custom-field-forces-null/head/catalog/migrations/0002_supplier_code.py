import catalog.fields
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="supplier",
            name="code",
            field=catalog.fields.OptionalCodeField(max_length=20, unique=True),
        ),
    ]
