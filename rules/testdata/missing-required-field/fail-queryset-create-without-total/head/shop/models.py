from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)


class OrderQuerySet(models.QuerySet):
    def open_for(self, customer_id):
        return self.create(customer_id=customer_id)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    total = models.DecimalField(max_digits=9, decimal_places=2)

    objects = OrderQuerySet.as_manager()


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Coupon(models.Model):
    code = models.CharField(max_length=20, unique=True)
    order = models.ForeignKey(Order, on_delete=models.CASCADE)
