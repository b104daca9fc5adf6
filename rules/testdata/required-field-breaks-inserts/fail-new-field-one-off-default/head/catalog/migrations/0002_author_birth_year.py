from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="author",
            name="birth_year",
            field=models.IntegerField(default=1970),
            preserve_default=False,
        ),
    ]
