import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Article",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=200)),
                ("tag_count", models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="Tagging",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50)),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="blog.article")),
            ],
        ),
        migrations.AddConstraint(
            model_name="tagging",
            constraint=models.UniqueConstraint(fields=("article", "name"), name="one_tag_per_article"),
        ),
    ]
