"""Closing accounts at the same time, on PostgreSQL: each closes once, counts stay true."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bookstore.accounts.closing import close_account
from bookstore.accounts.models import Role, User
from bookstore.catalog.models import Book
from bookstore.errors import NotFound
from bookstore.extensions import db
from bookstore.jobs.models import Job
from bookstore.reviews import moderation
from bookstore.reviews import services as reviews
from bookstore.reviews.models import Review
from tests.factories import make_book, make_user
from tests.races import race

pytestmark = pytest.mark.postgres
RACERS = 8


def all_books() -> list[Book]:
    return list(db.session.scalars(select(Book)))


def test_racing_closings_of_one_account_close_it_once(pg_app):
    with pg_app.app_context():
        user_id = make_user("anna@example.com").id
        db.session.commit()

    def close(_n):
        user = db.session.get(User, user_id)
        if user is None:  # closed before this thread read it: what the CLI or page would see
            raise NotFound("gone")
        return close_account(user, password=None, by_staff=True)

    results = race(pg_app, RACERS, close)
    assert [r for r in results if not isinstance(r, NotFound)] == ["anna@example.com"], results
    with pg_app.app_context():
        assert db.session.get(User, user_id) is None
        notes = db.session.scalars(select(Job).where(Job.kind == "email")).all()
        assert [job.payload["to"] for job in notes] == ["anna@example.com"]


def test_readers_who_voted_for_each_other_close_at_once_and_the_counts_stay_true(pg_app):
    """Each reader reviewed a book of their own and found every other review helpful, as did
    Nina, who stays and reviewed the first book: after they all close, only Nina's review
    and rating are left."""
    with pg_app.app_context():
        staff = make_user(role=Role.STAFF)
        books = [make_book() for _n in range(RACERS)]
        readers = [make_user(name=f"Reader {n}") for n in range(RACERS)]
        nina = make_user(name="Nina")
        written = []
        for n, reader in enumerate([*readers, nina]):
            review = reviews.write_review(
                reader, books[n % RACERS], rating=1 + n % 5, title="", body=f"Take {n}"
            )
            written.append(moderation.approve(review.id, review.revision, actor=staff))
        for reader in [*readers, nina]:
            for review in written:
                if review.user_id != reader.id:
                    reviews.vote_helpful(reader, review.id)
        db.session.commit()
        reader_ids = [reader.id for reader in readers]
        nina_review, book_ids = written[-1].id, [book.id for book in books]

    def close(n):
        close_account(db.session.get(User, reader_ids[n]), password=None, by_staff=True)

    assert race(pg_app, RACERS, close) == [None] * RACERS  # no error, no deadlock
    with pg_app.app_context():
        assert not db.session.scalars(select(User.id).where(User.id.in_(reader_ids))).all()
        [left] = db.session.scalars(select(Review)).all()
        assert (left.id, left.helpful_count) == (nina_review, 0)
        ratings = {book.id: (book.review_count, book.rating_total) for book in all_books()}
        assert left.book_id == book_ids[0]
        assert ratings == {book_ids[0]: (1, left.published_rating)} | dict.fromkeys(
            book_ids[1:], (0, 0)
        )
