from django.db import models


class Coupon(models.Model):
    code = models.CharField(max_length=20, unique=True)
    percent_off = models.IntegerField()
    max_uses = models.IntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                check=models.Q(percent_off__gte=1) & models.Q(percent_off__lte=100),
                name="coupon_percent_off_range",
            ),
        ]
