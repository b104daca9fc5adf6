from django.http import JsonResponse
from django.views.decorators.http import require_POST

from catalog.models import Author


@require_POST
def add_author(request):
    author = Author.objects.create(name=request.POST["name"], email=request.POST["email"])
    return JsonResponse({"id": author.pk}, status=201)
