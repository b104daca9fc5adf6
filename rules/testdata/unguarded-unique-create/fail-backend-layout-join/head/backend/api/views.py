from django.http import JsonResponse

from accounts.models import Member


def join(request):
    member = Member.objects.create(
        handle=request.POST["handle"],
        display_name=request.POST["display_name"],
    )
    return JsonResponse({"id": member.id}, status=201)
