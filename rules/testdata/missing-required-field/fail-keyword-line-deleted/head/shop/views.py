from decimal import Decimal

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from shop.models import Customer, Order


@require_POST
def create_order(request, customer_id):
    customer = get_object_or_404(Customer, id=customer_id)
    order = Order.objects.create(
        total=Decimal(request.POST["total"]),
    )
    return JsonResponse({"id": order.id, "customer": customer.pk}, status=201)
