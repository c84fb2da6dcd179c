"""Download your data: one JSON file with everything the shop keeps about the account."""

from __future__ import annotations

import json

import pytest

from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from bookstore.gifts.models import GiftMembership, OrderGift
from bookstore.members.purchase import add_membership_to_order
from bookstore.policies.models import ContactMessage
from bookstore.reviews import services as reviews
from bookstore.shoptime import shop_today
from tests.accounts.everything import reader_with_everything
from tests.accounts.helpers import log_in
from tests.factories import make_book, make_user
from tests.reviews.helpers import buy

ANNA = "anna@example.com"
PARTS = {
    "shop",
    "exported_at",
    "account",
    "addresses",
    "alerts",
    "cart",
    "contact_messages",
    "deal_claims",
    "helpful_votes",
    "memberships",
    "orders",
    "reviews",
    "wishlist",
}


@pytest.fixture
def anna(app):
    """Anna, with something everywhere; and Boris, whose things must stay out of her file."""
    with app.app_context():
        reader_with_everything(ANNA)
        boris = make_user("boris@example.com", name="Boris Godunov")
        book = make_book("Boris's Own Book")
        buy(boris, book, OrderState.PAID)
        reviews.write_review(boris, book, rating=3, title="", body="Boris wrote this.")
        db.session.add(ContactMessage(name="Boris", email=boris.email, topic="other", body="Hi"))
        db.session.commit()


def download(client) -> dict:
    response = client.get("/account/data")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    with client.application.app_context():
        name = f"russian-life-books-account-{shop_today()}.json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    return json.loads(response.get_data(as_text=True))


def test_the_account_page_and_the_close_page_offer_the_download(client, anna):
    log_in(client, ANNA)
    assert 'href="/account/data" download' in client.get("/account/").get_data(as_text=True)
    assert 'href="/account/data" download' in client.get("/account/close").get_data(as_text=True)


def test_the_file_holds_what_every_feature_keeps_about_the_reader(client, anna):
    log_in(client, ANNA)
    data = download(client)
    assert set(data) == PARTS
    assert data["shop"] == "Russian Life Books"
    assert data["account"]["name"] == "Anna Petrova"
    assert data["account"]["email"] == ANNA
    assert data["account"]["opened_at"].endswith("+00:00")  # UTC, ISO 8601
    [address] = data["addresses"]
    assert (address["line1"], address["postal_code"], address["default"]) == (
        "73 Main Street",
        "05602",
        True,
    )
    assert [item["title"] for item in data["wishlist"]] == ["Winter Tales"]
    assert data["wishlist"][0]["format"] == "paperback"
    assert len(data["wishlist"][0]["isbn"]) == 13
    assert [(line["title"], line["quantity"]) for line in data["cart"]["lines"]] == [
        ("Murder at the Dacha", 1)
    ]
    [term] = data["memberships"]
    assert (term["how"], term["note"]) == ("grant", "press")
    assert [claim["deal"] for claim in data["deal_claims"]] == ["Test deal"]
    # Only what was done while logged in: an account does not prove its address is hers.
    assert [(a["title"], a["state"]) for a in data["alerts"]] == [("Winter Tales", "waiting")]
    [order] = data["orders"]
    assert order["state"] == "shipped"
    assert order["ship_to"]["line1"] == "73 Main Street"
    assert [line["title"] for line in order["lines"]] == ["Murder at the Dacha"]
    assert (order["total_cents"], order["currency"]) == (1600, "USD")
    [review] = data["reviews"]
    assert (review["book"], review["rating"], review["body"]) == (
        "Murder at the Dacha",
        2,
        "Not for me, sadly.",
    )
    assert review["state"] == "approved"
    assert [vote["book"] for vote in data["helpful_votes"]] == ["Murder at the Dacha"]
    assert [m["message"] for m in data["contact_messages"]] == ["Is my parcel on its way?"]


def test_the_file_holds_nothing_of_another_readers(client, anna):
    log_in(client, ANNA)
    text = json.dumps(download(client))
    for theirs in ("Boris", "boris@example.com", "Wonderful dacha.", "Nina"):
        assert theirs not in text


def test_a_new_account_gets_a_file_with_its_empty_parts(app, client):
    with app.app_context():
        make_user("new@example.com", name="Новый Читатель")
        db.session.commit()
    log_in(client, "new@example.com")
    data = download(client)
    assert '"name": "Новый Читатель"' in client.get("/account/data").get_data(as_text=True)
    assert set(data) == PARTS
    assert data["cart"] is None
    for part in PARTS - {"shop", "exported_at", "account", "cart"}:
        assert data[part] == [], part


def test_staff_print_a_readers_file_when_they_ask_by_letter(app, runner, anna):
    result = runner.invoke(args=["users", "export", "Anna@Example.com"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == PARTS
    assert data["account"]["email"] == ANNA
    assert [order["state"] for order in data["orders"]] == ["shipped"]
    result = runner.invoke(args=["users", "export", "nobody@example.com"])
    assert result.exit_code == 1
    assert "No account uses nobody@example.com." in result.output


def test_an_orders_membership_gift_membership_and_gift_options_are_in_the_file(app, client):
    with app.app_context():
        reader = make_user("olga@example.com", name="Olga")
        book = make_book("Winter Tales")
        add_membership_to_order(buy(reader, book), reader, 3500)
        given = buy(reader, book)
        db.session.add(
            GiftMembership(
                order_id=given.id,
                buyer_email=reader.email,
                recipient_email="vera@example.com",
                message="For your Russian lessons",
                price_cents=3500,
            )
        )
        wrapped = buy(reader, book)
        db.session.add(
            OrderGift(
                order_id=wrapped.id,
                from_name="Aunt Olga",
                message="Happy birthday!",
                wrap=True,
                wrap_cents=500,
            )
        )
        db.session.commit()
    log_in(client, "olga@example.com")
    membership, gift_membership, options = download(client)["orders"]
    assert membership["lines"][1] == {
        "title": "A year of membership",
        "unit_price_cents": 3500,
        "quantity": 1,
    }
    assert gift_membership["lines"][1]["title"] == (
        "Gift: a year of membership for vera@example.com"
    )
    assert gift_membership["lines"][1]["message"] == "For your Russian lessons"
    assert options["gift"] == {
        "from": "Aunt Olga",
        "message": "Happy birthday!",
        "wrap_cents": 500,
        "receipt_to": None,
    }
    assert membership["gift"] is None
