from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Account",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("owner", models.CharField(max_length=100)),
                ("number", models.CharField(max_length=34)),
            ],
            options={
                "verbose_name": "account",
                "abstract": False,
                "unique_together": {("owner", "number")},
            },
        ),
    ]
