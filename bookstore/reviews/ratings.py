"""The book's rating (count and sum of published ratings), kept on ``books`` for cards."""

from __future__ import annotations

from sqlalchemy import func, select, update

from bookstore.catalog.models import Book
from bookstore.extensions import db
from bookstore.reviews.models import Review


def refresh_rating(book_id: int) -> None:
    """Recount the book's published reviews into ``books.review_count``/``rating_total``.

    The caller holds the book's row lock (``services.lock_book``) since before it changed a
    review, so under READ COMMITTED this count sees every other committed change. Writing the
    ``books`` row also tells the page cache that the book's pages changed.
    """
    count, total = db.session.execute(
        select(func.count(Review.id), func.coalesce(func.sum(Review.published_rating), 0)).where(
            Review.book_id == book_id, Review.published_at.is_not(None)
        )
    ).one()
    db.session.execute(
        update(Book)
        .where(Book.id == book_id)
        .values(review_count=count, rating_total=total)
        .execution_options(synchronize_session=False)
    )
    book = db.session.get(Book, book_id)
    if book is not None:
        db.session.refresh(book, ["review_count", "rating_total"])
