"""The rules of readers' reviews: writing, editing, deleting, helpful votes and what is shown.

Services take the actor explicitly, raise ``BookstoreError``s with messages for the reader, and
flush but never commit. Nothing a reader writes changes a public page: only approval (in
``moderation``) copies a review's words into the published columns that pages read.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from sqlalchemy import (
    ColumnElement,
    Exists,
    Row,
    bindparam,
    delete,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from bookstore.accounts.export import moment
from bookstore.accounts.models import User
from bookstore.catalog.book_rows import PageBook
from bookstore.catalog.models import Book, Edition
from bookstore.checkout.models import Order, OrderLine
from bookstore.checkout.states import OrderState
from bookstore.database import built_once
from bookstore.dbtypes import utcnow
from bookstore.errors import BookstoreError, InvalidInput, NotFound, PermissionDenied
from bookstore.extensions import db
from bookstore.page_cache import kept_while_unchanged, note_change
from bookstore.reviews.models import (
    MAX_BODY,
    MAX_TITLE,
    ProfessionalReview,
    Review,
    ReviewState,
    ReviewVote,
)
from bookstore.reviews.ratings import refresh_rating

PAGE_SIZE = 10
SORTS = {"helpful": "Most helpful", "newest": "Newest"}
BOUGHT_STATES = (OrderState.PAID, OrderState.SHIPPED, OrderState.PARTIALLY_REFUNDED)


class AlreadyReviewed(BookstoreError):
    """A second review of the same book by the same reader."""


class AlreadyVoted(BookstoreError):
    """A second helpful vote by the same reader on the same review."""


def public_name(name: str) -> str:
    """How a reviewer is named on the shop's pages: first name and last initial."""
    words = name.split()
    if not words:
        return "A reader"
    if len(words) == 1:
        return words[0]
    return f"{words[0]} {words[-1][0]}."


def find_book(slug: str) -> Book:
    """The book with this slug, or ``NotFound``."""
    book = db.session.scalar(select(Book).where(Book.slug == slug))
    if book is None:
        raise NotFound("There is no such book in the catalog.")
    return book


def has_bought(user: User, book_id: int) -> bool:
    """Whether the reader has a paid (not wholly refunded) order with an edition of the book."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Order.user_id == user.id,
                    Order.state.in_(BOUGHT_STATES),
                    OrderLine.order_id == Order.id,
                    OrderLine.edition_id == Edition.id,
                    Edition.book_id == book_id,
                )
            )
        )
    )


def review_of(user: User, book_id: int) -> Review | None:
    """The reader's own review of the book, in whatever state."""
    return db.session.scalar(
        select(Review).where(Review.user_id == user.id, Review.book_id == book_id)
    )


def review_states_of(user: User, book_ids: list[int]) -> dict[int, Row]:
    """Where the reader's own reviews of these books stand, by book id: rows of ``book_id``,
    ``state``, ``rating``, ``title``, ``rejection_reason`` and ``is_published`` (one query)."""
    if not book_ids:
        return {}
    bound = {"user_id": user.id, "ids": book_ids}
    rows = db.session.connection().execute(_review_states(), bound)
    return {row.book_id: row for row in rows}


def reviewed_any(user_id: ColumnElement[int]) -> Exists:
    """Has the user whose id is ``user_id`` (a column) written any review?"""
    return exists().where(Review.user_id == user_id)


def voted_any(user_id: ColumnElement[int]) -> Exists:
    """Has the user whose id is ``user_id`` (a column) found any review helpful?"""
    return exists().where(ReviewVote.user_id == user_id)


@built_once  # every signed-in book page asks
def _review_states():
    return select(
        Review.book_id,
        Review.state,
        Review.rating,
        Review.title,
        Review.rejection_reason,
        Review.published_at.is_not(None).label("is_published"),
    ).where(
        Review.user_id == bindparam("user_id"), Review.book_id.in_(bindparam("ids", expanding=True))
    )


def clean_text(value: str, limit: int, what: str, *, required: bool = False) -> str:
    """Text as typed, trimmed, with one kind of line break; too long or control characters
    raise ``InvalidInput``."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not text:
        raise InvalidInput(f"Write your {what}.")
    if len(text) > limit:
        raise InvalidInput(f"Your {what} is {len(text):,} characters; the limit is {limit:,}.")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInput(f"Your {what} contains control characters; please remove them.")
    return text


def _checked_rating(rating: int | None) -> int:
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput("Choose a rating from 1 to 5 stars.")
    return rating


def write_review(user: User, book: Book, *, rating: int | None, title: str, body: str) -> Review:
    """Create the reader's review of ``book``, or replace the words of their existing one.

    Either way the review waits for moderation; an earlier approved version stays published
    until staff approve the new one. A second review of the same book (even two submitted at
    once) raises ``AlreadyReviewed``.
    """
    rating = _checked_rating(rating)
    title = clean_text(title, MAX_TITLE, "title")
    body = clean_text(body, MAX_BODY, "review", required=True)
    verified = has_bought(user, book.id)
    now = utcnow()
    review = review_of(user, book.id)
    if review is not None:
        review.rating, review.title, review.body = rating, title, body
        review.verified_purchase = verified
        review.state = ReviewState.PENDING
        review.rejection_reason = ""
        review.revision += 1
        review.updated_at = now
        db.session.flush()
        return review
    review_id = _insert_once(
        Review,
        book_id=book.id,
        user_id=user.id,
        rating=rating,
        title=title,
        body=body,
        verified_purchase=verified,
        state=ReviewState.PENDING,
        revision=1,
        rejection_reason="",
        published_title="",
        published_body="",
        published_verified=False,
        helpful_count=0,
        created_at=now,
        updated_at=now,
    )
    if review_id is None:
        raise AlreadyReviewed("You have already reviewed this book: edit that review instead.")
    review = db.session.get(Review, review_id)
    assert review is not None  # noqa: S101  (just inserted in this transaction)
    return review


def _insert_once(model, **values) -> object | None:
    """INSERT a row unless its unique key exists (even in a racing transaction): the new
    row's first key column, or None when the row was there already.

    ON CONFLICT DO NOTHING rather than a savepoint: the loser of a race waits for the winner's
    commit and then inserts nothing, with no error to roll back.
    """
    insert = (
        postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    key = model.__table__.primary_key.columns.values()[0]
    statement = insert(model).values(**values).on_conflict_do_nothing().returning(key)
    return db.session.execute(statement).scalar_one_or_none()


def own_review(user: User, review_id: int) -> Review:
    """The review with this id if ``user`` wrote it; ``NotFound`` otherwise."""
    review = db.session.get(Review, review_id)
    if review is None or review.user_id != user.id:
        raise NotFound("There is no such review among yours.")
    return review


def delete_review(user: User, review_id: int) -> Book:
    """Delete the reader's own review (and its votes); the book's rating follows at once."""
    review = own_review(user, review_id)
    book = review.book
    was_published = review.is_published
    if was_published:
        lock_book(book.id)
    db.session.delete(review)
    db.session.flush()
    if was_published:
        refresh_rating(book.id)
    return book


def forget_reader(user: User) -> None:
    """Delete a closing account's reviews and helpful votes: ratings and counts follow.

    First the books of every review this touches (the reader's own and those they found
    helpful) are locked, in id order: two readers closing at once who voted for each other's
    reviews would otherwise each hold a review row the other must change.
    """
    voted = select(ReviewVote.review_id).where(ReviewVote.user_id == user.id)
    touched = select(Review.book_id).where((Review.user_id == user.id) | Review.id.in_(voted))
    db.session.execute(
        select(Book.id).where(Book.id.in_(touched)).order_by(Book.id).with_for_update()
    )
    db.session.execute(
        update(Review)
        .where(Review.id.in_(voted), Review.helpful_count > 0)
        .values(helpful_count=Review.helpful_count - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(delete(ReviewVote).where(ReviewVote.user_id == user.id))
    own_published = (Review.user_id == user.id) & Review.published_at.is_not(None)
    published = list(db.session.scalars(select(Review.book_id).where(own_published)))
    db.session.execute(
        delete(Review).where(Review.user_id == user.id).execution_options(synchronize_session=False)
    )
    for book_id in published:
        refresh_rating(book_id)
    # Helpful counts and the reviews' order changed on books whose rating did not.
    note_change(db.session.connection())


def lock_book(book_id: int) -> None:
    """Hold the book's row until the commit, so one rating update runs at a time per book."""
    db.session.execute(select(Book.id).where(Book.id == book_id).with_for_update())


def vote_helpful(user: User, review_id: int) -> Review:
    """Count the reader's "helpful" vote on a published review, once per reader."""
    review = db.session.get(Review, review_id)
    if review is None or not review.is_published:
        raise NotFound("There is no such review.")
    if review.user_id == user.id:
        raise PermissionDenied("You cannot vote for your own review.")
    voted = _insert_once(ReviewVote, review_id=review.id, user_id=user.id, created_at=utcnow())
    if voted is None:
        raise AlreadyVoted("You have already marked this review as helpful.")
    db.session.execute(
        update(Review)
        .where(Review.id == review.id)
        .values(helpful_count=Review.helpful_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(review)
    # The order of "most helpful first" changed: the book's pages are out of date.
    note_change(db.session.connection())
    return review


@dataclass
class ReviewPage:
    """One page of a book's published reviews."""

    reviews: list[Review]
    sort: str
    page: int
    has_next: bool
    total: int

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def parse_sort(raw: str | None) -> str:
    """``helpful`` (the default) or ``newest``; anything else is refused."""
    sort = raw or "helpful"
    if sort not in SORTS:
        raise NotFound("Reviews can be sorted by helpful or newest.")
    return sort


def published_reviews(book: Book | PageBook, *, sort: str = "helpful", page: int = 1) -> ReviewPage:
    """A page of the book's published reviews, most helpful (or newest) first."""
    if page < 1:
        raise NotFound("There is no such page of reviews.")
    order: list[ColumnElement] = [Review.published_at.desc(), Review.id.desc()]
    if sort == "helpful":
        order = [Review.helpful_count.desc(), *order]
    rows = list(
        db.session.scalars(
            select(Review)
            .where(Review.book_id == book.id, Review.published_at.is_not(None))
            .options(joinedload(Review.user))
            .order_by(*order)
            .limit(PAGE_SIZE + 1)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    if page > 1 and not rows:
        raise NotFound("There is no such page of reviews.")
    return ReviewPage(rows[:PAGE_SIZE], sort, page, len(rows) > PAGE_SIZE, book.review_count)


@dataclass
class ShownReviews:
    """What a book's page shows of its reviews: the first page, most helpful first, and the
    press quotes. Loaded once per request (the page's section and its JSON-LD share them)."""

    first_page: ReviewPage
    professional: list[Row]  # professional_reviews_of


def shown_reviews(book: Book | PageBook) -> ShownReviews:
    """The book page's reviews: two queries (one for a book without reviews), the first time
    they are asked for in a request."""
    memo = g.setdefault("_shown_reviews", {})
    if book.id not in memo:
        # The book's count of published reviews spares most pages the query for none.
        first_page = (
            published_reviews(book, sort="helpful")
            if book.review_count
            else ReviewPage([], "helpful", 1, False, 0)
        )
        memo[book.id] = ShownReviews(first_page, professional_reviews_of(book.id))
    return memo[book.id]


def professional_reviews_of(book_id: int) -> list[Row]:
    """The press quotes staff added to the book, oldest first: rows of ``quote``, ``source``
    and ``url``. Every book page asks, and most books have none: which books have any is kept
    while the page cache's generation stays the same (a quote added or removed makes a new
    one), so the others cost no query; plain rows on the session's connection for the rest."""
    quoted = kept_while_unchanged("books-with-press-quotes", _books_with_press_quotes)
    if book_id not in quoted:
        return []
    return list(db.session.connection().execute(_press_quotes(), {"book_id": book_id}))


def _books_with_press_quotes() -> frozenset[int]:
    return frozenset(db.session.scalars(select(ProfessionalReview.book_id).distinct()))


@built_once  # every book page asks
def _press_quotes():
    return (
        select(ProfessionalReview.quote, ProfessionalReview.source, ProfessionalReview.url)
        .where(ProfessionalReview.book_id == bindparam("book_id"))
        .order_by(ProfessionalReview.id)
    )


def reviews_by(user: User) -> list[Review]:
    """The reader's own reviews, newest first, with their books."""
    return list(
        db.session.scalars(
            select(Review)
            .where(Review.user_id == user.id)
            .options(joinedload(Review.book))
            .order_by(Review.updated_at.desc(), Review.id.desc())
        )
    )


def review_counts(user: User) -> dict[str, int]:
    """How many of the reader's reviews are in each state, by the state's label."""
    rows = db.session.execute(
        select(Review.state, func.count(Review.id))
        .where(Review.user_id == user.id)
        .group_by(Review.state)
    )
    return {ReviewState(state).label: count for state, count in rows}


def voted_on(user: User, review_ids: list[int]) -> set[int]:
    """Which of these reviews the reader has already marked helpful."""
    if not review_ids:
        return set()
    bound = {"user_id": user.id, "ids": review_ids}
    return set(db.session.connection().execute(_votes_among(), bound).scalars())


@built_once  # every signed-in book page with reviews asks
def _votes_among():
    return select(ReviewVote.review_id).where(
        ReviewVote.user_id == bindparam("user_id"),
        ReviewVote.review_id.in_(bindparam("ids", expanding=True)),
    )


def reviews_data(user: User) -> list[dict]:
    """The reader's reviews as they last wrote them, and where each stands, for their file."""
    return [
        {
            "book": review.book.title,
            "rating": review.rating,
            "title": review.title,
            "body": review.body,
            "state": review.state.value,
            "written_at": moment(review.created_at),
            "updated_at": moment(review.updated_at),
            "published_at": moment(review.published_at),
            "found_helpful_by": review.helpful_count,
        }
        for review in reviews_by(user)
    ]


def helpful_votes_data(user: User) -> list[dict]:
    """The reviews the reader marked helpful (by book: the reviews are other readers')."""
    votes = db.session.execute(
        select(Book.title, ReviewVote.created_at)
        .join(Review, Review.id == ReviewVote.review_id)
        .join(Book, Book.id == Review.book_id)
        .where(ReviewVote.user_id == user.id)
        .order_by(ReviewVote.created_at)
    )
    return [{"book": title, "at": moment(at)} for title, at in votes]
