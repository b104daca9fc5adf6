from django.db import migrations, models

# One lookup table per name, all alike.
NEW_TABLES = ["Size", "Shape"]


class Migration(migrations.Migration):
    dependencies = [
        ("labels", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name=name,
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("label", models.CharField(max_length=20, unique=True)),
            ],
        )
        for name in NEW_TABLES
    ]
