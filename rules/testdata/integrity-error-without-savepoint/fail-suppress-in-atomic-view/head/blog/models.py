from django.db import models


class Article(models.Model):
    title = models.CharField(max_length=200)
    tag_count = models.IntegerField(default=0)


class Tagging(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE)
    name = models.CharField(max_length=50)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "name"], name="one_tag_per_article"),
        ]
