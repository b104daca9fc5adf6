from decimal import Decimal

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from shop.models import Product


@require_POST
def set_price(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    product.price = Decimal(request.POST["price"])
    product.save(update_fields=["price"])
    return JsonResponse({"id": product.pk, "price": str(product.price)})
