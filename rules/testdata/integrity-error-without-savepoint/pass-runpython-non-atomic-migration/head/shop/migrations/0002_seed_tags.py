from django.db import IntegrityError, migrations

DEFAULT_TAGS = ["sale", "new", "clearance"]


def seed_tags(apps, schema_editor):
    Tag = apps.get_model("shop", "Tag")
    for name in DEFAULT_TAGS:
        try:
            Tag.objects.create(name=name)
        except IntegrityError:
            pass  # an editor created it already


class Migration(migrations.Migration):
    # Each tag commits on its own: a duplicate leaves no broken transaction.
    atomic = False

    dependencies = [
        ("shop", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed_tags, migrations.RunPython.noop),
    ]
