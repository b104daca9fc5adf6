from django.test import TestCase

from catalog.models import Author


class AuthorTests(TestCase):
    def test_str(self):
        author = Author.objects.create(name="Ann", email="ann@example.com")
        self.assertEqual(str(author), "Ann")
