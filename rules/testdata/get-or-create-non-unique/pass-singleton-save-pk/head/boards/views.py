from django.http import JsonResponse

from boards.models import Banner


def set_banner(request):
    banner, created = Banner.objects.get_or_create(site_name=request.POST["site"])
    banner.text = request.POST["text"]
    banner.save()
    return JsonResponse({"id": banner.id, "created": created})
