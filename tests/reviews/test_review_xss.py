"""Every field of a review is text: markup typed into the rating form, the reader's name, staff's
reason or a press quote shows as characters on every page and email, never as HTML, and a press
review's link is only ever an http(s) address. SQLite and PostgreSQL."""

import json

import pytest
from sqlalchemy import func, select

from bookstore.extensions import db
from bookstore.reviews.models import ProfessionalReview, Review
from bookstore.staff.models import AuditEntry
from tests.factories import make_book, make_user
from tests.fixtures.mail import html_body, text_body
from tests.reviews.helpers import JSONLD, make_staff
from tests.staff.helpers import log_in

ATTACKS = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(2)</script>",
    '<a href="javascript:alert(3)">click</a>',
]
MARKERS = ["<script>alert", "<img src=x", '<a href="javascript:', "onerror=alert(1)>"]


def assert_inert(html: str) -> None:
    for marker in MARKERS:
        assert marker not in html, f"unescaped {marker!r}"


@pytest.fixture
def hostile(app):
    """A book; a reader whose name is markup; a staff client."""
    with app.app_context():
        book = make_book("Murder at the Dacha", formats=("paperback",))
        reader = make_user("mallory@example.com", name=f"Mal {ATTACKS[1]}")
        staff = make_staff()
        db.session.commit()
        reader_client, staff_client = app.test_client(), app.test_client()
        log_in(reader_client, reader)
        log_in(staff_client, staff)
        return book.slug, book.editions[0].isbn13, reader_client, staff_client


@pytest.mark.parametrize("attack", ATTACKS)
def test_markup_in_every_reader_field_shows_as_text(app, hostile, outbox, attack):
    slug, _, reader, staff = hostile
    response = reader.post(
        f"/books/{slug}/review", data={"rating": "3", "title": attack[:120], "body": attack}
    )
    assert response.status_code == 303
    assert_inert(reader.get(f"/books/{slug}").get_data(as_text=True))
    assert_inert(reader.get(f"/books/{slug}/review").get_data(as_text=True))
    assert_inert(reader.get("/account/reviews").get_data(as_text=True))
    queue = staff.get("/staff/reviews").get_data(as_text=True)
    assert_inert(queue)
    assert "&lt;" in queue

    with app.app_context():
        review = db.session.scalar(select(Review))
        review_id = review.id
    staff.post(f"/staff/reviews/{review_id}/approve", data={"revision": "1"})
    for path in (f"/books/{slug}", f"/books/{slug}/reviews", "/books"):
        page = app.test_client().get(path).get_data(as_text=True)
        assert_inert(page)
    page = app.test_client().get(f"/books/{slug}").get_data(as_text=True)
    data = json.loads(JSONLD.search(page).group(1))
    assert data["review"][0]["reviewBody"] == attack  # the words themselves, safely encoded
    assert_inert(staff.get("/staff/audit").get_data(as_text=True))
    [mail] = outbox.to("mallory@example.com")
    assert_inert(html_body(mail))


def test_markup_in_a_rejection_reason_shows_as_text(app, hostile, outbox):
    slug, _, reader, staff = hostile
    reader.post(f"/books/{slug}/review", data={"rating": "3", "body": "Plain words."})
    with app.app_context():
        review_id = db.session.scalar(select(Review.id))
    staff.post(f"/staff/reviews/{review_id}/reject", data={"revision": "1", "reason": ATTACKS[0]})
    assert_inert(reader.get(f"/books/{slug}").get_data(as_text=True))
    assert_inert(reader.get("/account/reviews").get_data(as_text=True))
    assert_inert(reader.get(f"/books/{slug}/review").get_data(as_text=True))
    assert_inert(staff.get("/staff/reviews?state=rejected").get_data(as_text=True))
    [mail] = outbox.to("mallory@example.com")
    assert_inert(html_body(mail))
    assert ATTACKS[0] in text_body(mail)  # plain text mail carries the words as typed


@pytest.mark.parametrize("attack", ATTACKS)
def test_markup_in_a_press_review_shows_as_text(app, hostile, attack):
    slug, isbn, _, staff = hostile
    response = staff.post(
        "/staff/press-reviews/new",
        data={
            "isbn": isbn,
            "quote": attack,
            "source": attack[:200],
            "url": "https://example.org/r",
        },
    )
    assert response.status_code == 303
    page = app.test_client().get(f"/books/{slug}").get_data(as_text=True)
    assert_inert(page)
    assert 'href="https://example.org/r"' in page
    assert_inert(staff.get("/staff/press-reviews").get_data(as_text=True))
    data = json.loads(JSONLD.search(page).group(1))
    assert data["review"][-1]["author"] == {"@type": "Organization", "name": attack[:200]}


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/review",
        "https://",
        'https://example.org/"onmouseover="alert(1)',
        "https://example.org/<script>",
        "ftp://example.org/review",
        "https://example.org/" + "a" * 500,
    ],
)
def test_a_press_review_link_must_be_a_web_address(app, hostile, url):
    slug, isbn, _, staff = hostile
    response = staff.post(
        "/staff/press-reviews/new",
        data={"isbn": isbn, "quote": "A fine book.", "source": "The Review", "url": url},
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "http" in body
    with app.app_context():
        assert db.session.scalar(select(func.count(ProfessionalReview.id))) == 0


def test_staff_add_edit_and_delete_press_reviews_in_the_audit_log(app, hostile):
    slug, isbn, _, staff = hostile
    assert staff.get("/staff/press-reviews/new").status_code == 200
    staff.post(
        "/staff/press-reviews/new",
        data={"isbn": isbn, "quote": "Gripping.", "source": "The Paper", "url": ""},
    )
    with app.app_context():
        quote_id = db.session.scalar(select(ProfessionalReview.id))
    assert "Gripping." in app.test_client().get(f"/books/{slug}").get_data(as_text=True)
    assert "Gripping." in staff.get(f"/staff/press-reviews/{quote_id}").get_data(as_text=True)
    staff.post(
        f"/staff/press-reviews/{quote_id}",
        data={"isbn": isbn, "quote": "Utterly gripping.", "source": "The Paper", "url": ""},
    )
    assert "Utterly gripping." in app.test_client().get(f"/books/{slug}").get_data(as_text=True)
    unknown = staff.post(
        "/staff/press-reviews/new",
        data={"isbn": "9780000000000", "quote": "x", "source": "y", "url": ""},
    )
    assert unknown.status_code == 400
    assert "No edition in the catalog has that ISBN" in unknown.get_data(as_text=True)
    assert staff.post(f"/staff/press-reviews/{quote_id}/delete").status_code == 303
    assert "gripping" not in app.test_client().get(f"/books/{slug}").get_data(as_text=True)
    assert staff.get(f"/staff/press-reviews/{quote_id}").status_code == 404
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "press_review")
        ).all()
    assert sorted(actions) == ["press_review.create", "press_review.delete", "press_review.edit"]


def test_a_press_quote_shows_on_a_book_page_seen_before_it_had_one(app, hostile):
    # Which books have press quotes is kept between pages (reviews.services): a quote added
    # after the page was seen, and removed again, shows on the next visit all the same.
    slug, isbn, _, staff = hostile
    reader = app.test_client()
    assert "Gripping." not in reader.get(f"/books/{slug}").get_data(as_text=True)
    staff.post(
        "/staff/press-reviews/new",
        data={"isbn": isbn, "quote": "Gripping.", "source": "The Paper", "url": ""},
    )
    assert "Gripping." in reader.get(f"/books/{slug}").get_data(as_text=True)
    with app.app_context():
        quote_id = db.session.scalar(select(ProfessionalReview.id))
    staff.post(f"/staff/press-reviews/{quote_id}/delete")
    assert "Gripping." not in reader.get(f"/books/{slug}").get_data(as_text=True)
