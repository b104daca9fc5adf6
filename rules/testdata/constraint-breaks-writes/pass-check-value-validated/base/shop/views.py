from decimal import Decimal, InvalidOperation

from django import forms
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from shop.models import Product


class PriceForm(forms.Form):
    price = forms.DecimalField(min_value=0, max_digits=9, decimal_places=2)


@require_POST
def set_price(request, product_id):
    product = get_object_or_404(Product, pk=product_id)
    try:
        price = Decimal(request.POST["price"])
    except InvalidOperation:
        return JsonResponse({"error": "not a number"}, status=400)
    if price < 0:
        return JsonResponse({"error": "The price may not be negative."}, status=400)
    product.price = price
    product.save(update_fields=["price"])
    return JsonResponse({"id": product.pk, "price": str(product.price)})


@require_POST
def add_product(request):
    form = PriceForm(request.POST)
    if not form.is_valid():
        return JsonResponse(form.errors, status=400)
    product = Product.objects.create(title=request.POST["title"], price=form.cleaned_data["price"])
    return JsonResponse({"id": product.pk}, status=201)
