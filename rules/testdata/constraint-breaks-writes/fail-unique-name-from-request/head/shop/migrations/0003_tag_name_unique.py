from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0002_merge_duplicate_tags"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="tag",
            constraint=models.UniqueConstraint(fields=("name",), name="tag_name_unique"),
        ),
    ]
