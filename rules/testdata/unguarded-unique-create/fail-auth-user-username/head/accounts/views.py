from django.contrib.auth.models import User
from django.http import JsonResponse
from django.views.decorators.http import require_POST


@require_POST
def sign_up(request):
    user = User.objects.create(
        username=request.POST["username"],
        email=request.POST["email"],
    )
    return JsonResponse({"id": user.id}, status=201)
