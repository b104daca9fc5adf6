from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views.decorators.http import require_POST

User = get_user_model()


@require_POST
def provision(request):
    # The other columns of auth.User have defaults, allow NULL or store "".
    user = User.objects.create(username=request.POST["subject"])
    return JsonResponse({"id": user.id}, status=201)
