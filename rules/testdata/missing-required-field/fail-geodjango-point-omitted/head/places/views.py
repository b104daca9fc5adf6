from django.http import JsonResponse
from django.views.decorators.http import require_POST

from places.models import Place


@require_POST
def suggest_place(request):
    # The map pin comes later, once a moderator has placed it.
    place = Place.objects.create(name=request.POST["name"])
    return JsonResponse({"id": place.id}, status=201)
