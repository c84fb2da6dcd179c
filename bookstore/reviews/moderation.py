"""Staff decisions on readers' reviews, and the press quotes staff add.

Approving copies the version staff read into the published columns (a conditional UPDATE on the
review's revision: a version the reader changed meanwhile is never approved unseen), then
recounts the book's rating, which refreshes the cached pages. The reader hears of each decision
by email, queued in the same transaction.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import Select, select, update
from sqlalchemy.orm import joinedload

from bookstore.accounts.models import User
from bookstore.catalog.models import Book
from bookstore.dbtypes import utcnow
from bookstore.errors import InvalidInput, InvalidTransition, NotFound
from bookstore.extensions import db
from bookstore.links import external_url
from bookstore.mail import send_after_commit
from bookstore.reviews.models import (
    MAX_QUOTE,
    MAX_REASON,
    MAX_SOURCE,
    MAX_URL,
    ProfessionalReview,
    Review,
    ReviewState,
)
from bookstore.reviews.ratings import refresh_rating
from bookstore.reviews.services import clean_text, lock_book

CHANGED = "This review was changed or moderated meanwhile: reload the queue and read it again."


def moderation_query(state: ReviewState) -> Select:
    """Reviews in ``state`` for the staff queue: the oldest waiting first, else newest first."""
    order = Review.updated_at.asc() if state is ReviewState.PENDING else Review.updated_at.desc()
    return (
        select(Review)
        .where(Review.state == state)
        .options(joinedload(Review.book), joinedload(Review.user))
        .order_by(order, Review.id)
    )


def get_review(review_id: int) -> Review:
    """The review with this id, or ``NotFound``."""
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound("There is no such review.")
    return review


def _decide(review: Review, revision: int, states: tuple[ReviewState, ...], values: dict) -> None:
    """One conditional UPDATE: the decision applies only to the version staff read."""
    result = db.session.execute(
        update(Review)
        .where(Review.id == review.id, Review.revision == revision, Review.state.in_(states))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidTransition(CHANGED)
    db.session.refresh(review)


def approve(review_id: int, revision: int, *, actor: User) -> Review:
    """Publish the version ``revision`` of a waiting (or rejected) review."""
    review = get_review(review_id)
    lock_book(review.book_id)
    now = utcnow()
    _decide(
        review,
        revision,
        (ReviewState.PENDING, ReviewState.REJECTED),
        {
            "state": ReviewState.APPROVED,
            "rejection_reason": "",
            "published_rating": Review.rating,
            "published_title": Review.title,
            "published_body": Review.body,
            "published_verified": Review.verified_purchase,
            "published_at": now,
            "moderated_at": now,
            "moderated_by_id": actor.id,
        },
    )
    refresh_rating(review.book_id)
    _tell_reader(review, approved=True)
    return review


def reject(review_id: int, revision: int, reason: str, *, actor: User) -> Review:
    """Turn down the waiting version ``revision``, with a reason the reader is told.

    An earlier approved version of the review, if any, stays published.
    """
    reason = _reason(reason)
    review = get_review(review_id)
    now = utcnow()
    _decide(
        review,
        revision,
        (ReviewState.PENDING,),
        {
            "state": ReviewState.REJECTED,
            "rejection_reason": reason,
            "moderated_at": now,
            "moderated_by_id": actor.id,
        },
    )
    _tell_reader(review, approved=False)
    return review


def withdraw(review_id: int, reason: str, *, actor: User) -> Review:
    """Take a published review off the shop's pages (it becomes rejected, with the reason)."""
    reason = _reason(reason)
    review = get_review(review_id)
    if not review.is_published:
        raise InvalidTransition("This review is not published.")
    lock_book(review.book_id)
    now = utcnow()
    _decide(
        review,
        review.revision,
        tuple(ReviewState),
        {
            "state": ReviewState.REJECTED,
            "rejection_reason": reason,
            "published_rating": None,
            "published_title": "",
            "published_body": "",
            "published_verified": False,
            "published_at": None,
            "moderated_at": now,
            "moderated_by_id": actor.id,
        },
    )
    refresh_rating(review.book_id)
    _tell_reader(review, approved=False)
    return review


def _reason(reason: str) -> str:
    text = clean_text(reason, MAX_REASON, "reason")
    if not text:
        raise InvalidInput("Give the reader a reason (they receive it by email).")
    return text


def _tell_reader(review: Review, *, approved: bool) -> None:
    book_url = external_url("catalog.book", slug=review.book.slug)
    subject = (
        f"Your review of {review.book.title} is published"
        if approved
        else f"About your review of {review.book.title}"
    )
    send_after_commit(
        review.user.email,
        subject,
        "review_moderated",
        approved=approved,
        name=review.user.name,
        book_title=review.book.title,
        reason=review.rejection_reason,
        book_url=book_url,
        edit_url=external_url("reviews.write", slug=review.book.slug),
        job_key=f"review-moderated:{review.id}:{review.revision}:{review.state.value}",
    )


# --- press quotes ------------------------------------------------------------------------------


def safe_link(url: str) -> str:
    """An absolute http(s) address, or "" for none; anything else (javascript:...) is refused."""
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > MAX_URL:
        raise InvalidInput(f"The link is longer than {MAX_URL} characters.")
    parts = urlsplit(url)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or ord(c) < 32 or c in "<>\"'\\" for c in url)
    ):
        raise InvalidInput("The link must be a web address starting with http:// or https://.")
    return url


def save_professional_review(
    review: ProfessionalReview | None, *, book: Book, quote: str, source: str, url: str
) -> ProfessionalReview:
    """Create or update a press quote on ``book`` (shown on the book page at once)."""
    quote = clean_text(quote, MAX_QUOTE, "quote", required=True)
    source = clean_text(source, MAX_SOURCE, "source", required=True)
    url = safe_link(url)
    if review is None:
        review = ProfessionalReview(book_id=book.id, quote=quote, source=source, url=url)
        db.session.add(review)
    else:
        review.book_id, review.quote, review.source, review.url = book.id, quote, source, url
    db.session.flush()
    return review


def get_professional_review(review_id: int) -> ProfessionalReview:
    """The press quote with this id, or ``NotFound``."""
    review = db.session.get(ProfessionalReview, review_id)
    if review is None:
        raise NotFound("There is no such press review.")
    return review


def professional_query() -> Select:
    """Every press quote, newest first, with its book."""
    return (
        select(ProfessionalReview)
        .options(joinedload(ProfessionalReview.book))
        .order_by(ProfessionalReview.id.desc())
    )
