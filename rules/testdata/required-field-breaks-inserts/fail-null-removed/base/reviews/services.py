from catalog.models import Book


def reissue(book_id):
    book = Book.objects.get(pk=book_id)
    return Book.objects.create(title=book.title + " (new edition)", author=book.author, published_on=None)
