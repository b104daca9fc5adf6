import uuid

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views.decorators.http import require_POST


@require_POST
def invite(request):
    # An invited person gets a placeholder account until they choose a username.
    user, created = get_user_model().objects.get_or_create(
        email=request.POST["email"],
        defaults={"username": "invited-" + uuid.uuid4().hex},
    )
    return JsonResponse({"id": user.id}, status=201 if created else 200)
