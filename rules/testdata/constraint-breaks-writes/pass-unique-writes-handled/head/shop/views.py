import uuid

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from shop.models import Tag


@require_POST
def add_tag(request):
    try:
        with transaction.atomic():
            tag = Tag.objects.create(name=request.POST["name"], color=request.POST.get("color", "#cccccc"))
    except IntegrityError:
        return JsonResponse({"error": "A tag with this name exists already."}, status=409)
    return JsonResponse({"id": tag.pk}, status=201)


@require_POST
def tag_for(request):
    tag, _created = Tag.objects.get_or_create(name=request.POST["name"])
    return JsonResponse({"id": tag.pk})


@require_POST
def scratch_tag(request):
    tag = Tag.objects.create(name="scratch-" + uuid.uuid4().hex, color=request.POST.get("color", "#cccccc"))
    return JsonResponse({"id": tag.pk}, status=201)
