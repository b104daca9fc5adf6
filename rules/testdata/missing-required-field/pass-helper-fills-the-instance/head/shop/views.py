from decimal import Decimal

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from shop.models import Customer, Order


def fill_totals(order, data):
    order.total = Decimal(data["total"])


@require_POST
def create_order(request, customer_id):
    order = Order(customer=get_object_or_404(Customer, id=customer_id))
    # The helper sets the total, which the constructor leaves out.
    fill_totals(order, request.POST)
    order.save()
    return JsonResponse({"id": order.id}, status=201)
