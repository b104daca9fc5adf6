from .book import Book  # noqa: F401
from .loan import Loan  # noqa: F401
