"""Reviews: one per reader per book, moderated before the public sees them.

A review keeps two copies of its words. ``rating``/``title``/``body`` are what the reader wrote
last, waiting for (or past) moderation; the ``published_*`` columns are what staff approved and
the public sees. An edit changes only the first copy, so nothing a reader types reaches a page
(or the page cache) before staff approve it; the earlier approved text stays up meanwhile.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookstore.accounts.models import User
from bookstore.catalog.models import Book
from bookstore.dbtypes import UTCDateTime, str_enum, utcnow
from bookstore.extensions import Model

MAX_TITLE = 120
MAX_BODY = 5000
MAX_REASON = 500
MAX_QUOTE = 1000
MAX_SOURCE = 200
MAX_URL = 500


class ReviewState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"pending": "Waiting for moderation"}.get(self.value, self.value.capitalize())


class Review(Model):
    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("book_id", "user_id", name="uq_reviews_book_id_user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint(
            "published_rating IS NULL OR published_rating BETWEEN 1 AND 5",
            name="published_rating_range",
        ),
        CheckConstraint(f"length(body) <= {MAX_BODY}", name="body_length"),
        CheckConstraint("helpful_count >= 0", name="helpful_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # What the reader wrote last.
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(MAX_TITLE), default="")
    body: Mapped[str] = mapped_column(Text)
    verified_purchase: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[ReviewState] = mapped_column(
        str_enum(ReviewState, "review_state"), default=ReviewState.PENDING, index=True
    )
    # Bumped by every edit: staff approve the version they read, never a later one.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    rejection_reason: Mapped[str] = mapped_column(String(MAX_REASON), default="")
    # What the public sees (NULL until a version is approved).
    published_rating: Mapped[int | None] = mapped_column(Integer)
    published_title: Mapped[str] = mapped_column(String(MAX_TITLE), default="")
    published_body: Mapped[str] = mapped_column(Text, default="")
    published_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    book: Mapped[Book] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def __repr__(self) -> str:
        return f"<Review {self.id} {self.state}>"


class ReviewVote(Model):
    """A reader found a review helpful: one row per reader per review (the key forbids two)."""

    __tablename__ = "review_votes"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProfessionalReview(Model):
    """A quote from a review in the press, added by staff: public as soon as it is saved."""

    __tablename__ = "professional_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id", ondelete="CASCADE"), index=True)
    quote: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(MAX_SOURCE))
    url: Mapped[str] = mapped_column(String(MAX_URL), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    book: Mapped[Book] = relationship()
