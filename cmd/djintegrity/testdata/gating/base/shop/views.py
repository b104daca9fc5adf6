from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from shop.models import Coupon


def coupon_detail(request, code):
    coupon = get_object_or_404(Coupon, code=code)
    return JsonResponse({"code": coupon.code, "percent_off": coupon.percent_off})
