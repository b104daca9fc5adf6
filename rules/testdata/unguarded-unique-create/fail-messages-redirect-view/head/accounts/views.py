from django.contrib import messages
from django.shortcuts import redirect

from accounts.models import User


def invite(request):
    if not request.POST.get("username"):
        messages.error(request, "Enter a username.")
        return redirect("/users/invite/")
    User.objects.create(username=request.POST["username"], email=request.POST["email"])
    messages.success(request, "Invitation sent.")
    return redirect("/users/")
