from django.db import migrations, models


def clamp_negative_prices(apps, schema_editor):
    Product = apps.get_model("shop", "Product")
    Product.objects.filter(price__lt=0).update(price=0)


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(clamp_negative_prices, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.CheckConstraint(check=models.Q(price__gte=0), name="product_price_gte_0"),
        ),
    ]
