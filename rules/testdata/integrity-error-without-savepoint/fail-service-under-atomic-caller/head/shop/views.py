from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from shop.models import Order
from shop.services import redeem


def apply_coupon(request, order_id):
    with transaction.atomic():
        order = get_object_or_404(Order.objects.select_for_update(), pk=order_id)
        redeem(order, request.POST["code"])
    return JsonResponse({"total": str(order.total)})
