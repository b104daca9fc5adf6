from django.shortcuts import redirect, render

from accounts.forms import SignupForm
from accounts.models import User


def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        User.objects.create(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
        )
        return redirect("/welcome/")
    return render(request, "accounts/signup.html", {"form": form})
