from catalog.models import Author, Book


def import_book(title, author_name, author_email):
    author = Author(name=author_name, email=author_email)
    author.save()
    return Book.objects.create(title=title, author=author)
