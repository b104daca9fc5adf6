from django.http import JsonResponse
from django.views.decorators.http import require_POST

from shop.models import Tag


@require_POST
def add_tag(request):
    tag = Tag.objects.create(name=request.POST["name"], color=request.POST.get("color", "#cccccc"))
    return JsonResponse({"id": tag.pk}, status=201)
