from accounts.models import User


def invite(request):
    User.objects.create(username=request.POST["username"], email=request.POST["email"])
    return None
