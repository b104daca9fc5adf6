from django.db import models


class Team(models.Model):
    name = models.CharField(max_length=50)


class TeamOwned(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Shareable(TeamOwned):
    class Meta:
        abstract = True


# A shareable object without a team is shared with every team: the field
# Shareable inherits is made optional after the class, for the models that
# use Shareable (TeamOwned's own stays required).
_team = Shareable._meta.get_field("team")
_team.blank = True
_team.null = True


class Template(Shareable):
    title = models.CharField(max_length=50)
