from django.db import IntegrityError
from django.http import JsonResponse

from accounts.models import Member


def join(request):
    try:
        member = Member.objects.create(
            handle=request.POST["handle"],
            display_name=request.POST["display_name"],
        )
    except IntegrityError:
        return JsonResponse({"error": "That handle is taken."}, status=409)
    return JsonResponse({"id": member.id}, status=201)
