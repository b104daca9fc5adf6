from django.db import IntegrityError, transaction
from django.http import JsonResponse

from shop.forms import SignupForm
from shop.models import Customer


@transaction.atomic
def signup(request):
    form = SignupForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    form.instance.email = request.POST["email"]
    try:
        form.save()
    except IntegrityError:
        pass  # signed up before
    customer = Customer.objects.get(email=request.POST["email"])
    return JsonResponse({"id": customer.pk})
