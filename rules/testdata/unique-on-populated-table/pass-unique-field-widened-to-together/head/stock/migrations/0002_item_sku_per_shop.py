from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stock", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="item",
            name="sku",
            field=models.CharField(max_length=30),
        ),
        migrations.AlterUniqueTogether(
            name="item",
            unique_together={("shop", "sku")},
        ),
    ]
