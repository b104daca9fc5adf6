from catalog.models import Author, Book


def import_book(title, author_name, author_email, birth_year):
    author = Author(name=author_name, email=author_email)
    author.birth_year = birth_year
    author.save()
    return Book.objects.create(title=title, author=author)
