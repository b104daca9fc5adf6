from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tags", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="label",
            name="tags_label_name_project_live",
        ),
        migrations.AddConstraint(
            model_name="label",
            constraint=models.UniqueConstraint(
                condition=models.Q(("deleted_at__isnull", True), ("project__isnull", False)),
                fields=("project", "name"),
                name="tags_label_project_name_live",
            ),
        ),
    ]
