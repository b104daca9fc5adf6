from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.generic import CreateView

from shop.forms import SignupForm
from shop.models import Customer


class Signup(CreateView):
    form_class = SignupForm
    success_url = "/welcome/"

    @transaction.atomic
    def form_valid(self, form):
        form.instance.email = self.request.POST["email"]
        try:
            with transaction.atomic():
                super().form_valid(form)
        except IntegrityError:
            pass  # signed up before
        customer = Customer.objects.get(email=self.request.POST["email"])
        return JsonResponse({"id": customer.pk})
