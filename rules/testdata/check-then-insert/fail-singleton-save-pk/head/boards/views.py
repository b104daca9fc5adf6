from django.http import JsonResponse

from boards.models import Banner


def init_banner(request):
    site = request.POST["site"]
    if not Banner.objects.filter(site_name=site).exists():
        Banner.objects.create(site_name=site, text="Welcome")
    return JsonResponse({"ok": True})
