import secrets

from django.http import JsonResponse

from keys.models import ApiKey


def issue_key(request):
    token = secrets.token_urlsafe(24)
    api_key = ApiKey.objects.create(owner=request.POST["owner"], key=token)
    return JsonResponse({"id": api_key.id, "key": api_key.key}, status=201)
