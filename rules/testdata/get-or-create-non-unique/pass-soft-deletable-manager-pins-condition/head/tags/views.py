from django.http import JsonResponse
from django.views.decorators.http import require_POST

from tags.models import Tag


@require_POST
def add_tag(request):
    # available_objects sees only rows with is_removed=False, the rows the
    # constraint covers, and a tag it creates is one of them.
    tag, created = Tag.available_objects.get_or_create(name=request.POST["name"])
    return JsonResponse({"id": tag.id}, status=201 if created else 200)
