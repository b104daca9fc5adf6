from django.http import JsonResponse

from wiki.models import Page, ProjectPage


def add_page(request, project):
    page = Page.objects.create(title=request.POST["title"])
    ProjectPage.objects.create(project=project, page_id=page.id)
    return JsonResponse({"id": page.id}, status=201)
