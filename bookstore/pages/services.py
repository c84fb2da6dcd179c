"""What the home page shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bookstore.catalog.models import Book
from bookstore.catalog.services import featured_books, new_and_upcoming
from bookstore.journal.models import Post
from bookstore.journal.services import latest_posts


@dataclass
class HomePage:
    new_books: Sequence[Book]
    featured: Sequence[Book]
    posts: list[Post]


def home_page(now: datetime, *, new_limit: int = 8, featured_limit: int = 4) -> HomePage:
    """New and upcoming books, featured books and the latest journal posts."""
    return HomePage(
        new_books=new_and_upcoming(new_limit),
        featured=featured_books(featured_limit),
        posts=latest_posts(now, 3),
    )
