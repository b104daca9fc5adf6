from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from catalog.models import Author, Book


@require_POST
def add_author(request):
    author = Author.objects.create(name=request.POST["name"], email=request.POST["email"])
    return JsonResponse({"id": author.pk}, status=201)


@require_POST
def add_draft(request, author_id):
    author = get_object_or_404(Author, pk=author_id)
    book = Book.objects.create(title=request.POST["title"], author=author)
    return JsonResponse({"id": book.pk}, status=201)


def book_detail(request, book_id):
    book = get_object_or_404(Book, pk=book_id)
    return JsonResponse({"title": book.title, "published_on": book.published_on.isoformat()})
