from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views.decorators.http import require_POST


@require_POST
def sign_up(request):
    # The project's manager gives the account its company.
    user = get_user_model().objects.create_user(
        request.POST["username"],
        request.POST["email"],
        request.POST["password"],
    )
    return JsonResponse({"id": user.id}, status=201)
