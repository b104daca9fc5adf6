from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Preference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("user", models.CharField(max_length=50)),
                ("event", models.CharField(max_length=50)),
                ("theme", models.CharField(default="light", max_length=20)),
            ],
        ),
    ]
