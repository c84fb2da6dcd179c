"""The cart page counts copies held by the shopper's own unpaid checkout, and copies held by a
checkout whose time is up, as the shopper's to buy: it never drops them from the cart."""

from datetime import timedelta

from flask import current_app

from bookstore.cart import services
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from tests.checkout.helpers import edition_counts, make_cart, place
from tests.factories import make_book


def _guest_client(app, cart):
    client = app.test_client()
    with client.session_transaction() as session:
        session[services.SESSION_KEY] = cart.token
    return client


def _cart_lines(cart_id):
    db.session.expire_all()
    cart = db.session.get(services.Cart, cart_id)
    return [(line.edition_id, line.quantity) for line in cart.lines]


def test_going_back_to_the_cart_keeps_the_last_copy_my_checkout_holds(app):
    with app.app_context():
        edition = make_book("Murder at the Dacha", on_hand=1).editions[0]
        cart = make_cart((edition, 1))
        place(cart)  # holds the last copy for this cart's checkout
        db.session.commit()
        assert edition_counts(edition.id) == (1, 1)
        cart_id, edition_id = cart.id, edition.id
        client = _guest_client(app, cart)

    page = client.get("/cart").get_data(as_text=True)
    assert "out of stock" not in page
    assert "Murder at the Dacha" in page
    with app.app_context():
        assert _cart_lines(cart_id) == [(edition_id, 1)]


def test_another_shoppers_cart_counts_a_lapsed_hold_as_free(app):
    with app.app_context():
        edition = make_book("Murder at the Dacha", on_hand=2).editions[0]
        first = make_cart((edition, 2))
        place(first, now=utcnow() - timedelta(hours=2))  # a checkout abandoned long ago
        second = make_cart((edition, 2))
        db.session.commit()
        assert edition_counts(edition.id) == (2, 2)
        second_id, edition_id = second.id, edition.id
        client = _guest_client(app, second)

    page = client.get("/cart").get_data(as_text=True)
    assert "can be ordered now" not in page
    with app.app_context():
        assert _cart_lines(second_id) == [(edition_id, 2)]


def test_another_shoppers_live_hold_still_counts_as_taken(app):
    with app.app_context():
        edition = make_book("Murder at the Dacha", on_hand=2).editions[0]
        place(make_cart((edition, 1)))
        second = make_cart((edition, 2))
        db.session.commit()
        second_id, edition_id = second.id, edition.id
        client = _guest_client(app, second)

    page = client.get("/cart").get_data(as_text=True)
    assert "Only 1 of Murder at the Dacha" in page
    with app.app_context():
        assert _cart_lines(second_id) == [(edition_id, 1)]
        assert current_app.config["CART_MAX_PER_LINE"] >= 2
