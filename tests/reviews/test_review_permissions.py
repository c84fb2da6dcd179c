"""Who may do what with reviews: only signed-in readers write, one review per book, the
"Verified purchase" badge only for buyers, only staff moderate; and nothing a reader writes
reaches a public (cached) page before staff approve it. SQLite and PostgreSQL."""

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bookstore.accounts.models import User
from bookstore.catalog.models import Book
from bookstore.checkout.states import OrderState
from bookstore.errors import InvalidInput, InvalidTransition, PermissionDenied
from bookstore.extensions import db
from bookstore.page_cache import PageCacheGeneration
from bookstore.reviews import moderation, services
from bookstore.reviews.models import Review, ReviewState
from bookstore.staff.models import AuditEntry
from tests.factories import make_book, make_user
from tests.fixtures.mail import text_body
from tests.reviews.helpers import JSONLD, buy, make_staff, published_review
from tests.staff.helpers import log_in


@pytest.fixture
def shelf(app):
    """A book, a reader (Anna) and a staff member, each with a signed-in client."""
    with app.app_context():
        book = make_book("Murder at the Dacha", authors=("Alexei Bayer",))
        anna = make_user("anna@example.com", name="Anna Petrova")
        staff = make_staff()
        db.session.commit()
        ids = {"slug": book.slug, "book": book.id, "anna": anna.id, "staff": staff.id}
        anna_client, staff_client = app.test_client(), app.test_client()
        log_in(anna_client, anna)
        log_in(staff_client, staff)
    return ids, anna_client, staff_client


def write(client, slug, *, rating="4", title="Dark and funny", body="A detective in a dacha."):
    return client.post(
        f"/books/{slug}/review", data={"rating": rating, "title": title, "body": body}
    )


def the_review(app) -> Review:
    with app.app_context():
        review = db.session.scalar(select(Review))
        db.session.expunge_all()
        return review


def generation(app) -> int:
    with app.app_context():
        return db.session.scalar(select(PageCacheGeneration.value))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/books/{slug}/review"),
        ("post", "/books/{slug}/review"),
        ("post", "/reviews/1/helpful"),
        ("post", "/reviews/1/delete"),
        ("get", "/account/reviews"),
    ],
)
def test_only_signed_in_readers_write_vote_or_delete(app, shelf, method, path):
    ids, _, _ = shelf
    response = getattr(app.test_client(), method)(
        path.format(slug=ids["slug"]), data={"rating": "5", "body": "Anonymous praise"}
    )
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Review.id))) == 0


def test_a_visitors_helpful_vote_leads_to_log_in_and_back_to_the_book(app, shelf):
    ids, _, _ = shelf
    with app.app_context():
        review_id = published_review(db.session.get(Book, ids["book"])).id
        db.session.commit()
    response = app.test_client().post(
        f"/reviews/{review_id}/helpful", data={"next": f"/books/{ids['slug']}"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/account/login?next=/books/{ids['slug']}")
    with app.app_context():
        assert db.session.get(Review, review_id).helpful_count == 0


def test_a_new_review_waits_for_moderation_and_changes_no_public_page(app, shelf):
    ids, anna, _ = shelf
    public = app.test_client()
    first = public.get(f"/books/{ids['slug']}")
    assert first.headers["X-Page-Cache"] == "miss"
    before = generation(app)

    response = write(anna, ids["slug"])
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/books/{ids['slug']}#your-review")
    assert the_review(app).state is ReviewState.PENDING
    assert generation(app) == before, "a pending review must not refresh cached pages"

    again = public.get(f"/books/{ids['slug']}")
    assert again.headers["X-Page-Cache"] == "hit"
    assert "A detective in a dacha" not in again.get_data(as_text=True)
    # The author sees it, with its state, on the book page and their account...
    own = anna.get(f"/books/{ids['slug']}").get_data(as_text=True)
    assert "Waiting for moderation" in own
    assert "Dark and funny" in own
    assert "Waiting for moderation" in anna.get("/account/reviews").get_data(as_text=True)
    assert "1 waiting for moderation" in anna.get("/account/").get_data(as_text=True)
    # ...another reader does not.
    with app.app_context():
        other = make_user(name="Boris Other")
        db.session.commit()
        other_client = app.test_client()
        log_in(other_client, other)
    assert "Dark and funny" not in other_client.get(f"/books/{ids['slug']}").get_data(as_text=True)


def test_a_reader_has_one_review_per_book_and_a_second_visit_edits_it(app, shelf):
    ids, anna, _ = shelf
    write(anna, ids["slug"], body="First thoughts.")
    form = anna.get(f"/books/{ids['slug']}/review").get_data(as_text=True)
    assert "First thoughts." in form
    assert "Save changes" in form
    write(anna, ids["slug"], rating="2", body="Second thoughts.")
    with app.app_context():
        reviews = db.session.scalars(select(Review)).all()
        assert [(r.rating, r.body, r.revision) for r in reviews] == [(2, "Second thoughts.", 2)]
        # The rule holds below the views too: the unique (book, reader) row.
        db.session.add(Review(book_id=ids["book"], user_id=ids["anna"], rating=3, body="Again"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize(
    ("state", "verified"),
    [
        (OrderState.PAID, True),
        (OrderState.SHIPPED, True),
        (OrderState.PARTIALLY_REFUNDED, True),
        (OrderState.PENDING_PAYMENT, False),
        (OrderState.CANCELLED, False),
        (OrderState.REFUNDED, False),
        (None, False),
    ],
)
def test_the_verified_purchase_badge_is_only_for_buyers(app, shelf, state, verified):
    ids, anna, staff = shelf
    with app.app_context():
        if state is not None:
            buy(db.session.get(User, ids["anna"]), db.session.get(Book, ids["book"]), state)
        db.session.commit()
    write(anna, ids["slug"])
    review = the_review(app)
    assert review.verified_purchase is verified
    staff.post(f"/staff/reviews/{review.id}/approve", data={"revision": review.revision})
    page = app.test_client().get(f"/books/{ids['slug']}").get_data(as_text=True)
    assert "A detective in a dacha" in page
    assert ("Verified purchase" in page) is verified


def test_someone_elses_order_of_the_book_does_not_verify_a_reader(app, shelf):
    ids, anna, _ = shelf
    with app.app_context():
        buy(make_user(name="Other Buyer"), db.session.get(Book, ids["book"]))
        db.session.commit()
    write(anna, ids["slug"])
    assert the_review(app).verified_purchase is False


def test_customers_cannot_moderate(app, shelf):
    ids, anna, _ = shelf
    write(anna, ids["slug"])
    review = the_review(app)
    assert anna.get("/staff/reviews").status_code == 403
    assert (
        anna.post(f"/staff/reviews/{review.id}/approve", data={"revision": "1"}).status_code == 403
    )
    assert anna.post(f"/staff/reviews/{review.id}/reject", data={"reason": "x"}).status_code == 403
    assert anna.get("/staff/press-reviews").status_code == 403
    assert the_review(app).state is ReviewState.PENDING


def test_staff_approve_a_review_which_then_shows_with_the_rating_everywhere(app, shelf, outbox):
    ids, anna, staff = shelf
    write(anna, ids["slug"], rating="5")
    review = the_review(app)
    queue = staff.get("/staff/reviews").get_data(as_text=True)
    assert "A detective in a dacha" in queue
    assert "anna@example.com" in queue
    before = generation(app)

    response = staff.post(f"/staff/reviews/{review.id}/approve", data={"revision": "1"})
    assert response.status_code == 303
    assert generation(app) > before
    with app.app_context():
        book = db.session.get(Book, ids["book"])
        assert (book.review_count, book.average_rating) == (1, 5.0)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "review.approve"))
        assert entry.actor_id == ids["staff"]
        assert entry.entity_id == str(review.id)
    page = app.test_client().get(f"/books/{ids['slug']}").get_data(as_text=True)
    assert "A detective in a dacha" in page
    assert "Anna P." in page
    assert "Petrova" not in page
    data = json.loads(JSONLD.search(page).group(1))
    assert data["aggregateRating"]["ratingValue"] == "5.0"
    assert data["aggregateRating"]["reviewCount"] == 1
    assert data["review"][0]["reviewRating"]["ratingValue"] == 5
    assert data["review"][0]["author"]["name"] == "Anna P."
    browse = app.test_client().get("/books").get_data(as_text=True)
    assert "out of 5 from</span> (1" in browse
    [mail] = outbox.to("anna@example.com")
    assert "is published" in mail["Subject"]
    assert f"/books/{ids['slug']}" in text_body(mail)


def test_staff_reject_with_a_reason_that_the_reader_sees(app, shelf, outbox):
    ids, anna, staff = shelf
    write(anna, ids["slug"])
    review = the_review(app)
    no_reason = staff.post(f"/staff/reviews/{review.id}/reject", data={"revision": "1"})
    assert no_reason.status_code == 303
    assert the_review(app).state is ReviewState.PENDING
    staff.post(
        f"/staff/reviews/{review.id}/reject",
        data={"revision": "1", "reason": "Please leave out the ending."},
    )
    assert the_review(app).state is ReviewState.REJECTED
    own = anna.get(f"/books/{ids['slug']}").get_data(as_text=True)
    assert "Please leave out the ending." in own
    assert "Please leave out the ending." not in app.test_client().get(
        f"/books/{ids['slug']}"
    ).get_data(as_text=True)
    [mail] = outbox.to("anna@example.com")
    assert "Please leave out the ending." in text_body(mail)
    with app.app_context():
        assert (
            db.session.scalar(select(AuditEntry.action).where(AuditEntry.entity_type == "review"))
            == "review.reject"
        )
    assert "review.reject" in staff.get("/staff/audit?entity=review").get_data(as_text=True)


def test_an_edit_made_while_staff_read_is_never_approved_unseen(app, shelf):
    ids, anna, staff = shelf
    write(anna, ids["slug"], body="Polite words.")
    review = the_review(app)
    write(anna, ids["slug"], body="Different words.")
    response = staff.post(f"/staff/reviews/{review.id}/approve", data={"revision": "1"})
    assert response.status_code == 303
    assert the_review(app).state is ReviewState.PENDING
    assert "changed or moderated meanwhile" in staff.get("/staff/reviews").get_data(as_text=True)


def test_an_edit_of_a_published_review_keeps_the_approved_words_until_approved(app, shelf):
    ids, anna, staff = shelf
    write(anna, ids["slug"], rating="5", body="Approved words.")
    staff.post(f"/staff/reviews/{the_review(app).id}/approve", data={"revision": "1"})
    before = generation(app)
    write(anna, ids["slug"], rating="1", body="Unchecked words.")
    assert generation(app) == before
    page = app.test_client().get(f"/books/{ids['slug']}").get_data(as_text=True)
    assert "Approved words." in page
    assert "Unchecked words." not in page
    with app.app_context():
        assert db.session.get(Book, ids["book"]).average_rating == 5.0
    staff.post(f"/staff/reviews/{the_review(app).id}/approve", data={"revision": "2"})
    page = app.test_client().get(f"/books/{ids['slug']}").get_data(as_text=True)
    assert "Unchecked words." in page
    assert "Approved words." not in page
    with app.app_context():
        assert db.session.get(Book, ids["book"]).average_rating == 1.0


def test_staff_withdraw_a_published_review(app, shelf, outbox):
    ids, anna, staff = shelf
    write(anna, ids["slug"])
    staff.post(f"/staff/reviews/{the_review(app).id}/approve", data={"revision": "1"})
    staff.post(
        f"/staff/reviews/{the_review(app).id}/reject?state=approved",
        data={"revision": "1", "withdraw": "1", "reason": "It quotes another review."},
    )
    review = the_review(app)
    assert (review.state, review.published_at) == (ReviewState.REJECTED, None)
    with app.app_context():
        assert db.session.get(Book, ids["book"]).review_count == 0
    assert "A detective" not in app.test_client().get(f"/books/{ids['slug']}").get_data(
        as_text=True
    )


def test_a_reader_deletes_their_review_and_the_rating_follows(app, shelf):
    ids, anna, staff = shelf
    write(anna, ids["slug"])
    review = the_review(app)
    staff.post(f"/staff/reviews/{review.id}/approve", data={"revision": "1"})
    assert staff.post(f"/reviews/{review.id}/delete").status_code == 404  # not staff's own
    assert anna.post(f"/reviews/{review.id}/delete").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(Review.id))) == 0
        assert db.session.get(Book, ids["book"]).review_count == 0


def test_readers_mark_a_review_helpful_once_and_not_their_own(app, shelf):
    ids, anna, staff = shelf
    with app.app_context():
        book = db.session.get(Book, ids["book"])
        quiet = published_review(book, name="Quiet Reader", body="Short.")
        useful = published_review(book, name="Useful Reader", body="Long and useful.")
        db.session.commit()
        quiet_id, useful_id = quiet.id, useful.id
    page = app.test_client().get(f"/books/{ids['slug']}").get_data(as_text=True)
    assert page.index("Long and useful.") < page.index("Short.")  # newest first on a tie
    before = generation(app)
    assert (
        anna.post(
            f"/reviews/{quiet_id}/helpful", data={"next": f"/books/{ids['slug']}"}
        ).status_code
        == 303
    )
    assert generation(app) > before
    anna.post(f"/reviews/{quiet_id}/helpful")
    assert "already marked" in anna.get("/account/reviews").get_data(as_text=True)
    page = app.test_client().get(f"/books/{ids['slug']}").get_data(as_text=True)
    assert page.index("Short.") < page.index("Long and useful.")
    assert "1 reader found this helpful" in page
    with app.app_context():
        assert db.session.get(Review, quiet_id).helpful_count == 1
        own = db.session.get(Review, useful_id)
        with pytest.raises(PermissionDenied):
            services.vote_helpful(own.user, useful_id)


def test_all_reviews_page_sorts_and_paginates(app, shelf):
    ids, _, _ = shelf
    with app.app_context():
        book = db.session.get(Book, ids["book"])
        for n in range(12):
            published_review(book, rating=1 + n % 5, name=f"Reader {n}", body=f"Review number {n}.")
        db.session.commit()
    client = app.test_client()
    first = client.get(f"/books/{ids['slug']}/reviews?sort=newest").get_data(as_text=True)
    assert "Review number 11." in first
    assert "Page 1 of 2" in first
    second = client.get(f"/books/{ids['slug']}/reviews?sort=newest&page=2")
    assert "Review number 0." in second.get_data(as_text=True)
    for bad in ("page=3", "page=0", "page=abc", "sort=worst", "page=99999999999"):
        assert client.get(f"/books/{ids['slug']}/reviews?{bad}").status_code == 404, bad
    assert client.get("/books/no-such-book/reviews").status_code == 404
    book_page = client.get(f"/books/{ids['slug']}").get_data(as_text=True)
    assert "All 12 reviews" in book_page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rating": "9", "body": "x"}, "Choose a rating"),
        ({"rating": "abc", "body": "x"}, "Choose a rating"),
        ({"body": "No stars"}, "Choose a rating"),
        ({"rating": "3", "body": "   "}, "Write your review"),
        ({"rating": "3", "body": "x" * 5001}, "under 5,000 characters"),
        ({"rating": "3", "title": "t" * 121, "body": "x"}, "120"),
        ({"rating": "3", "body": "bell \x07 character"}, "cannot read"),
    ],
)
def test_bad_reviews_get_a_message_never_a_500(app, shelf, data, message):
    ids, anna, _ = shelf
    response = anna.post(f"/books/{ids['slug']}/review", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Review.id))) == 0


def test_writing_reviews_is_rate_limited(make_app, database):
    app = make_app(RATELIMIT_ENABLED=True, REVIEW_RATELIMIT="2/hour")
    with app.app_context():
        books = [make_book() for _ in range(3)]
        reader = make_user()
        db.session.commit()
        slugs = [b.slug for b in books]
        client = app.test_client()
        log_in(client, reader)
    assert [write(client, slug).status_code for slug in slugs] == [303, 303, 429]
    with app.app_context():
        assert db.session.scalar(select(func.count(Review.id))) == 2


def test_moderation_decisions_need_the_version_staff_read(app, shelf):
    ids, anna, staff = shelf
    write(anna, ids["slug"])
    review = the_review(app)
    with app.app_context():
        actor = make_staff("other@example.com")
        with pytest.raises(InvalidTransition):
            moderation.approve(review.id, 7, actor=actor)
        with pytest.raises(InvalidInput):
            moderation.reject(review.id, 1, "   ", actor=actor)
        db.session.rollback()
    assert staff.post("/staff/reviews/999999/approve", data={"revision": "1"}).status_code == 404
    assert staff.get("/staff/reviews?state=bogus").status_code == 404
