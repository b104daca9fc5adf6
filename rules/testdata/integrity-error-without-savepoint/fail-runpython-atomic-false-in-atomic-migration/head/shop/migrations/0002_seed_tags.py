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
    dependencies = [
        ("shop", "0001_initial"),
    ]

    operations = [
        # atomic=False only drops the operation's own transaction where the
        # migration has none; this migration is atomic.
        migrations.RunPython(seed_tags, migrations.RunPython.noop, atomic=False),
    ]
