from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

User = get_user_model()


@require_POST
def change_email(request, user_id):
    # Two accounts may share an address: auth.User's email is not unique.
    user = get_object_or_404(User, pk=user_id)
    user.email = request.POST["email"]
    user.save(update_fields=["email"])
    return JsonResponse({"id": user.id})
