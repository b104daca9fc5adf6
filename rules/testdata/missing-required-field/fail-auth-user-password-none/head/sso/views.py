from django.contrib.auth.models import User
from django.http import JsonResponse
from django.views.decorators.http import require_POST


@require_POST
def provision(request):
    # Accounts from the identity provider sign in through it, never with a password.
    user = User.objects.create(
        username=request.POST["subject"],
        email=request.POST["email"],
        password=None,
    )
    return JsonResponse({"id": user.id}, status=201)
