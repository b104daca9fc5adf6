from django.db import migrations


def dedupe_product_sku(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    seen = set()
    for product in Product.objects.order_by("id"):
        if product.sku in seen:
            product.sku = "%s-%s" % (product.sku, product.id)
            product.save(update_fields=["sku"])
        seen.add(product.sku)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(dedupe_product_sku, migrations.RunPython.noop),
    ]
