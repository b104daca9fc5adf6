from django.http import JsonResponse

from shop.models import Order


def order_total(request, order_id):
    order = Order.objects.get(pk=order_id)
    return JsonResponse({"total": str(order.total)})
