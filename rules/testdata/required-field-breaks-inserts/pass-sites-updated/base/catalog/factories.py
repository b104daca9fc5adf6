from catalog.models import Author


def make_author(name="Ann"):
    return Author.objects.create(name=name, email=name.lower() + "@example.com")
