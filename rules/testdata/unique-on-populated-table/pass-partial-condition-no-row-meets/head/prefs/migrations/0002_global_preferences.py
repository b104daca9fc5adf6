from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("prefs", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="preference",
            name="event",
            field=models.CharField(max_length=50, null=True),
        ),
        migrations.AddConstraint(
            model_name="preference",
            constraint=models.UniqueConstraint(
                condition=models.Q(("event__isnull", True)), fields=("user",), name="prefs_one_global_per_user"
            ),
        ),
    ]
