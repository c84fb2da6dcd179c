"""Races on PostgreSQL: one review per reader per book, one helpful vote per reader per review,
and a book's rating that counts every review approved at the same moment."""

import threading

from sqlalchemy import func, select

from bookstore.accounts.models import User
from bookstore.catalog.models import Book
from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.reviews import moderation, services
from bookstore.reviews.models import Review, ReviewVote
from tests.factories import make_book, make_user
from tests.reviews.helpers import make_staff, published_review

RACERS = 8


def race(app, action) -> list[Exception]:
    """Run ``action(n)`` in RACERS threads started together, each committing its own work."""
    barrier = threading.Barrier(RACERS)
    errors: list[Exception] = []

    def run(n):
        with app.app_context():
            try:
                barrier.wait()
                action(n)
                db.session.commit()
            except BookstoreError as exc:
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_racing_first_reviews_by_one_reader_make_one_review(pg_app):
    with pg_app.app_context():
        book_id, reader_id = make_book().id, make_user().id
        db.session.commit()

    def write(n):
        reader, book = db.session.get(User, reader_id), db.session.get(Book, book_id)
        services.write_review(reader, book, rating=1 + n % 5, title="", body=f"Take {n}")

    errors = race(pg_app, write)
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(Review.id))) == 1
    assert all(isinstance(e, services.AlreadyReviewed) for e in errors)


def test_racing_helpful_votes_by_one_reader_count_once(pg_app):
    with pg_app.app_context():
        review_id = published_review(make_book()).id
        voter_id = make_user(name="Vera Voter").id
        db.session.commit()

    errors = race(
        pg_app, lambda _n: services.vote_helpful(db.session.get(User, voter_id), review_id)
    )
    with pg_app.app_context():
        assert db.session.get(Review, review_id).helpful_count == 1
        assert db.session.scalar(select(func.count()).select_from(ReviewVote)) == 1
    assert len(errors) == RACERS - 1
    assert all(isinstance(e, services.AlreadyVoted) for e in errors)


def test_racing_votes_by_different_readers_all_count(pg_app):
    with pg_app.app_context():
        review_id = published_review(make_book()).id
        voters = [make_user(name=f"Voter {n}").id for n in range(RACERS)]
        db.session.commit()

    errors = race(
        pg_app, lambda n: services.vote_helpful(db.session.get(User, voters[n]), review_id)
    )
    assert errors == []
    with pg_app.app_context():
        assert db.session.get(Review, review_id).helpful_count == RACERS


def test_reviews_approved_at_the_same_moment_all_count_in_the_rating(pg_app):
    with pg_app.app_context():
        book = make_book()
        reviews = [
            services.write_review(
                make_user(name=f"Reader {n}"), book, rating=1 + n % 5, title="", body="Words."
            )
            for n in range(RACERS)
        ]
        staff_id = make_staff().id
        db.session.commit()
        book_id = book.id
        review_ids = [r.id for r in reviews]
        expected = sum(r.rating for r in reviews)

    errors = race(
        pg_app,
        lambda n: moderation.approve(review_ids[n], 1, actor=db.session.get(User, staff_id)),
    )
    assert errors == []
    with pg_app.app_context():
        book = db.session.get(Book, book_id)
        assert (book.review_count, book.rating_total) == (RACERS, expected)
