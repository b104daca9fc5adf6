from django import forms

from accounts.models import User


class SignupForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "email"]
