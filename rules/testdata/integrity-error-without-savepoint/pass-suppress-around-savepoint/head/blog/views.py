from contextlib import suppress

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from blog.models import Article, Tagging


@transaction.atomic
def add_tags(request, article_id):
    article = get_object_or_404(Article, pk=article_id)
    for name in request.POST.getlist("tags"):
        with suppress(IntegrityError), transaction.atomic():
            Tagging.objects.create(article=article, name=name)  # already tagged: nothing to do
    article.tag_count = Tagging.objects.filter(article=article).count()
    article.save()
    return JsonResponse({"tags": article.tag_count})
