from django.db import models


class Page(models.Model):
    title = models.CharField(max_length=200)


class ProjectPage(models.Model):
    project = models.CharField(max_length=50)
    page = models.ForeignKey(Page, on_delete=models.CASCADE)

    class Meta:
        unique_together = [("project", "page")]
