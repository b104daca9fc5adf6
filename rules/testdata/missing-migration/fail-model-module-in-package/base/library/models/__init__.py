from .book import Book  # noqa: F401
