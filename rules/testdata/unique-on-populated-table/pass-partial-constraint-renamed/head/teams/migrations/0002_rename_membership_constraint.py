from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="membership",
            name="one_active_membership",
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                condition=models.Q(("left_at__isnull", True)), fields=("team", "member"), name="teams_membership_active_uniq"
            ),
        ),
    ]
