from decimal import Decimal

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from shop.models import Product


@require_POST
def set_price(request, pk):
    price = Decimal(request.POST["price"])
    Product.objects.filter(pk=pk).update(price=price)
    return JsonResponse({"id": pk, "price": str(price)})
