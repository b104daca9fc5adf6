from django.http import JsonResponse

from boards.models import Member


def join(request):
    email = request.POST["email"]
    # objects, model_utils' soft-delete manager, sees only rows with
    # is_removed=False: the rows the constraint covers.
    if Member.objects.filter(email=email).exists():
        return JsonResponse({"error": "Already a member"}, status=409)
    member = Member.objects.create(email=email)
    return JsonResponse({"id": member.id}, status=201)
