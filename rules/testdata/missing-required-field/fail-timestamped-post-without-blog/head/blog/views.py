from django.http import JsonResponse
from django.views.decorators.http import require_POST

from blog.models import Post


@require_POST
def draft(request):
    post = Post.objects.create(title=request.POST["title"])
    return JsonResponse({"id": post.id}, status=201)
