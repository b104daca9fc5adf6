from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views.decorators.http import require_POST

User = get_user_model()


@require_POST
def provision(request):
    # create_user stores email=None as "" (normalize_email) and a password
    # of None as an unusable password: neither column is left NULL.
    user = User.objects.create_user(username=request.POST["subject"], email=None, password=None)
    return JsonResponse({"id": user.id}, status=201)
