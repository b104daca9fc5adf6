from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(check=models.Q(("status__in", [0, 1, 2])), name="tickets_ticket_status_choices"),
        ),
    ]
