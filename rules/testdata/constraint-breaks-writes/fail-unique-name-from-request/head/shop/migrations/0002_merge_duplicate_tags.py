from django.db import migrations


def merge_duplicate_tags(apps, schema_editor):
    Tag = apps.get_model("shop", "Tag")
    seen = {}
    for tag in Tag.objects.order_by("id"):
        if tag.name in seen:
            for product in tag.product_set.all():
                product.tags.add(seen[tag.name])
            tag.delete()
        else:
            seen[tag.name] = tag


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(merge_duplicate_tags, migrations.RunPython.noop),
    ]
