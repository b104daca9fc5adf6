from django.http import JsonResponse
from django.views.decorators.http import require_POST

from shop.models import Tag


@require_POST
def add_tag(request):
    tag = Tag.objects.create(group=request.POST.get("group", ""), name=request.POST["name"])
    return JsonResponse({"id": tag.pk}, status=201)
