"""Demo reviews: a few readers' reviews (published, and one waiting in the staff queue) and a
sample press quote, so a new shop shows ratings on its cards and book pages.

The readers are accounts nobody can log in to (a random password, never shown). Loading again
adds nothing: readers are keyed by email, a reader has one review per book, quotes by source.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from bookstore.accounts.models import Role, User
from bookstore.catalog.models import Book
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.reviews.models import ProfessionalReview, Review, ReviewState
from bookstore.reviews.ratings import refresh_rating

READERS = {
    "marina": ("Marina Kovalenko", "demo-reader-marina@example.com"),
    "tom": ("Tom Whitaker", "demo-reader-tom@example.com"),
    "lena": ("Lena Sorokina", "demo-reader-lena@example.com"),
}

# (book title, reader, rating, title, text, published)
REVIEWS = [
    (
        "Murder at the Dacha",
        "marina",
        5,
        "A summer house full of suspects",
        "I started it on the train and missed my stop. The inspector is tired, clever and "
        "very human, and the dacha setting is drawn with real affection.",
        True,
    ),
    (
        "Murder at the Dacha",
        "tom",
        4,
        "",
        "A proper puzzle with a good sense of place. The middle sags a little, but the last "
        "chapters make up for it.",
        True,
    ),
    (
        "Davai! The Russians and Their Vodka",
        "lena",
        4,
        "More history than drinking",
        "Funny where it should be and serious where it must be. I learned a lot about the "
        "state's long dependence on vodka money.",
        True,
    ),
    (
        "93 Untranslatable Russian Words",
        "tom",
        5,
        "Short entries, long thoughts",
        "Each word opens a small window on how people live and talk. A lovely gift for anyone "
        "learning the language.",
        True,
    ),
    (
        "93 Untranslatable Russian Words",
        "marina",
        3,
        "",
        "Charming, though a few entries felt thin. (Demo: this review waits in the staff "
        "moderation queue.)",
        False,
    ),
]

PRESS = [
    (
        "Murder at the Dacha",
        "A sample press quote for the demo shop: staff add real ones under Press reviews.",
        "Demo press quote",
    ),
]


def _reader(key: str) -> User:
    name, email = READERS[key]
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            name=name,
            password_hash=generate_password_hash(secrets.token_urlsafe(24)),
            role=Role.CUSTOMER,
        )
        db.session.add(user)
        db.session.flush()
    return user


def load_demo_reviews() -> int:
    """Add the demo reviews and press quotes that are not there yet; returns how many."""
    books = {b.title: b for b in db.session.scalars(select(Book))}
    added, touched = 0, set()
    now = utcnow()
    for title, key, rating, heading, text, published in REVIEWS:
        book = books.get(title)
        if book is None:
            continue
        reader = _reader(key)
        exists = db.session.scalar(
            select(Review.id).where(Review.book_id == book.id, Review.user_id == reader.id)
        )
        if exists is not None:
            continue
        review = Review(
            book_id=book.id,
            user_id=reader.id,
            rating=rating,
            title=heading,
            body=text,
            state=ReviewState.APPROVED if published else ReviewState.PENDING,
            created_at=now,
            updated_at=now,
        )
        if published:
            review.published_rating, review.published_title = rating, heading
            review.published_body, review.published_at = text, now
            touched.add(book.id)
        db.session.add(review)
        added += 1
    for title, quote, source in PRESS:
        book = books.get(title)
        found = db.session.scalar(
            select(ProfessionalReview.id).where(ProfessionalReview.source == source)
        )
        if book is not None and found is None:
            db.session.add(ProfessionalReview(book_id=book.id, quote=quote, source=source))
            added += 1
    db.session.flush()
    for book_id in sorted(touched):
        refresh_rating(book_id)
    return added
