from rest_framework import status
from rest_framework.response import Response

from shop.api.base import ShopAPIView
from shop.models import Order


class OrderCreateView(ShopAPIView):
    def post(self, request):
        order = Order.objects.create(customer_id=request.data["customer_id"], total=request.data["total"])
        return Response({"id": order.id}, status=status.HTTP_201_CREATED)
