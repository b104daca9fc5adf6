import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Variant",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("price", models.DecimalField(decimal_places=2, max_digits=9)),
                ("size", models.CharField(max_length=8)),
                ("product", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="shop.product")),
            ],
        ),
        migrations.AddConstraint(
            model_name="variant",
            constraint=models.CheckConstraint(check=models.Q(price__gte=0), name="shop_variant_price_gte_0"),
        ),
        migrations.AddConstraint(
            model_name="variant",
            constraint=models.UniqueConstraint(fields=("product", "size"), name="variant_product_size_uniq"),
        ),
    ]
