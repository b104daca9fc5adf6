from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views.decorators.http import require_POST

User = get_user_model()


@require_POST
def claim(request):
    user, created = User.objects.get_or_create(
        username=request.POST["username"],
        defaults={"email": request.POST["email"]},
    )
    return JsonResponse({"id": user.id}, status=201 if created else 200)
