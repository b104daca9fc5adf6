import json

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from shop.models import Coupon


@require_http_methods(["PATCH"])
def update_coupon(request, code):
    data = json.loads(request.body)
    coupon = get_object_or_404(Coupon, code=code)
    coupon.percent_off = data["percent_off"]
    coupon.save()
    return JsonResponse({"code": coupon.code, "percent_off": coupon.percent_off})
