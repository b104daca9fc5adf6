from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="robot_role",
            field=models.CharField(blank=True, default=None, max_length=20, null=True),
        ),
        migrations.AddConstraint(
            model_name="profile",
            constraint=models.UniqueConstraint(
                models.F("robot_role"),
                condition=models.Q(("robot_role__isnull", False)),
                name="people_profile_robot_role_uniq",
            ),
        ),
    ]
