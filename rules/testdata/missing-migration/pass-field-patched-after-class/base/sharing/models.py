from django.db import models


class Team(models.Model):
    name = models.CharField(max_length=50)


class Shareable(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE)

    class Meta:
        abstract = True


# A template without a team is shared with every team: the mixin's field is
# made optional after the class, for every model that uses it.
_team = Shareable._meta.get_field("team")
_team.blank = True
_team.null = True


class Template(Shareable):
    title = models.CharField(max_length=50)
