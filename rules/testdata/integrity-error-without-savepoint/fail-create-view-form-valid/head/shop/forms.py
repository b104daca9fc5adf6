from django import forms

from shop.models import Customer


class SignupForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name"]
