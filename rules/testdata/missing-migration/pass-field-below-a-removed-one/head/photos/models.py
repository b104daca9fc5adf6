from django.db import models


# embedding was made required in the model long ago; its column was left
# nullable.
class Photo(models.Model):
    path = models.CharField(max_length=200)
    embedding = models.TextField()
