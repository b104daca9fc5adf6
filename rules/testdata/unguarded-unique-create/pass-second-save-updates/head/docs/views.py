from django.db import IntegrityError, transaction
from django.http import JsonResponse

from docs.models import Document


def create_document(request):
    document = Document(slug=request.POST["slug"])
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        return JsonResponse({"error": "A document with this slug already exists."}, status=409)
    document.title = request.POST.get("title", "")
    document.save()
    return JsonResponse({"id": document.id}, status=201)
