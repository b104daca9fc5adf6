from django.http import JsonResponse

from shop.models import Order


def order_total(request, order_id):
    order = Order.objects.get(pk=order_id)
    return JsonResponse({"total": str(order.total)})


def create_order(request, customer_id):
    order = Order.objects.create(customer_id=customer_id, total=request.POST["total"])
    return JsonResponse({"id": order.id}, status=201)
