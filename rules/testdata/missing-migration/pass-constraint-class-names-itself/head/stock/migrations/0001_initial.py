import stock.constraints
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("shop", models.CharField(max_length=50)),
                ("sku", models.CharField(max_length=30)),
            ],
            options={
                "constraints": [
                    stock.constraints.UniqueConstraint(fields=("shop", "sku"), name="stock_item_shop_sku_uniq"),
                ],
            },
        ),
    ]
