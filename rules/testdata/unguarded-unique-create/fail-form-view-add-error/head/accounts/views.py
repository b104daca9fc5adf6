from django.shortcuts import redirect, render

from accounts.forms import InviteForm
from accounts.models import User


def invite(request):
    if request.method == "POST":
        form = InviteForm(request.POST)
        if form.is_valid():
            User.objects.create(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
            )
            return redirect("/users/")
    else:
        form = InviteForm()
    return render(request, "accounts/invite.html", {"form": form})
