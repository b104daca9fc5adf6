from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Reading",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sensor", models.CharField(max_length=50, verbose_name="Sensor")),
                ("value", models.FloatField(default=0.0)),
                ("scale", models.FloatField(default=1000.0)),
            ],
        ),
    ]
