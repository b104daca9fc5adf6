from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from shop.models import Product


@require_POST
def rename_sku(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    product.sku = request.POST["sku"]
    product.save(update_fields=["sku"])
    return JsonResponse({"id": product.pk, "sku": product.sku})
