from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_fill_author_birth_year"),
    ]

    operations = [
        migrations.AlterField(
            model_name="author",
            name="birth_year",
            field=models.IntegerField(),
        ),
    ]
