import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Page",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=200)),
            ],
        ),
        migrations.CreateModel(
            name="ProjectPage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("project", models.CharField(max_length=50)),
                ("page", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="wiki.page")),
            ],
            options={
                "unique_together": {("project", "page")},
            },
        ),
    ]
