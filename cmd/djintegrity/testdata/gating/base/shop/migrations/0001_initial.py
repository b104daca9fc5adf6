from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Coupon",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=20, unique=True)),
                ("percent_off", models.IntegerField()),
                ("max_uses", models.IntegerField()),
            ],
        ),
        migrations.AddConstraint(
            model_name="coupon",
            constraint=models.CheckConstraint(
                check=models.Q(("percent_off__gte", 1), ("percent_off__lte", 100)), name="coupon_percent_off_range"
            ),
        ),
    ]
