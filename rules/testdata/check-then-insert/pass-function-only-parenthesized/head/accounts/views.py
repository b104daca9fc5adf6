from django.http import JsonResponse

from accounts.models import User


def register(request):
    (username,) = request.POST.getlist("username")
    email = request.POST["email"]
    taken = (
        User.objects.filter(username=username).exists()
    )
    if not taken:
        User.objects.create(username=username, email=email)
    return JsonResponse(
        {"username": username, "taken": taken},
        status=201,
    )
