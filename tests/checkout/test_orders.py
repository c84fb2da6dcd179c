"""Placing an order: re-validated against the database, prices from the server only."""

from datetime import date

import pytest

from bookstore.checkout.models import Order, OrderEvent
from bookstore.checkout.states import OrderState
from bookstore.errors import InvalidInput, OutOfStock
from bookstore.extensions import db
from tests.checkout.helpers import edition_counts, make_cart, place
from tests.factories import make_book, make_user


def test_an_order_copies_its_lines_and_amounts_from_the_database(app_ctx):
    book = make_book("Murder at the Dacha", price_cents=1600, on_hand=5)
    edition = book.editions[0]
    cart = make_cart((edition, 2))
    edition.price_cents = 2600  # the price changed after the book went into the cart
    db.session.flush()
    order = place(cart)
    assert order.state is OrderState.PENDING_PAYMENT
    [line] = order.lines
    assert (line.title, line.format.value, line.isbn13) == (
        "Murder at the Dacha",
        "paperback",
        edition.isbn13,
    )
    assert (line.unit_price_cents, line.quantity) == (2600, 2)
    assert order.subtotal_cents == 5200
    assert order.shipping_cents == 0  # over the free-shipping threshold
    assert order.total_cents == 5200
    assert order.currency == "USD"
    assert edition_counts(edition.id) == (5, 2)


def test_standard_shipping_is_charged_below_the_threshold_and_express_always(app_ctx):
    edition = make_book(price_cents=1600, on_hand=5).editions[0]
    standard = place(make_cart((edition, 1)))
    express = place(make_cart((edition, 1)), method="express")
    assert (standard.shipping_cents, standard.total_cents) == (500, 2100)
    assert express.shipping_cents == 1500
    assert express.total_cents == 3100


def test_an_ebooks_only_order_has_no_shipping_and_holds_no_stock(app_ctx):
    book = make_book(formats=("ebook",), price_cents=1600)
    order = place(make_cart((book.editions[0], 1)))
    assert order.shipping_method == "none"
    assert order.shipping_cents == 0
    assert order.ship_line1 == ""
    assert order.total_cents == 1000


def test_a_reference_is_long_random_and_url_safe(app_ctx):
    edition = make_book(on_hand=5).editions[0]
    refs = {place(make_cart((edition, 1))).reference for _ in range(3)}
    assert len(refs) == 3
    for ref in refs:
        assert len(ref) >= 22  # 18 random bytes = 144 bits
        assert all(c.isalnum() or c in "-_" for c in ref)


def test_a_sold_out_title_is_named_and_nothing_is_created(app_ctx):
    edition = make_book("The Last Copy", on_hand=1).editions[0]
    cart = make_cart((edition, 2))
    with pytest.raises(OutOfStock, match="The Last Copy"), db.session.begin_nested():
        place(cart)
    assert db.session.query(Order).count() == 0
    assert edition_counts(edition.id) == (1, 0)


def test_an_edition_no_longer_sold_is_refused(app_ctx):
    edition = make_book("Retired", on_hand=5).editions[0]
    cart = make_cart((edition, 1))
    edition.active = False
    db.session.flush()
    with pytest.raises(InvalidInput, match="Retired"):
        place(cart)


def test_an_empty_cart_cannot_be_ordered(app_ctx):
    with pytest.raises(InvalidInput, match="empty"):
        place(make_cart())


def test_printed_books_need_an_address(app_ctx):
    from flask import current_app

    from bookstore.checkout import services
    from bookstore.dbtypes import utcnow

    edition = make_book(on_hand=5).editions[0]
    with pytest.raises(InvalidInput, match="address"):
        services.place_order(
            make_cart((edition, 1)),
            user=None,
            email="a@example.com",
            shipping_method="standard",
            address=None,
            now=utcnow(),
            config=current_app.config,
        )


def test_the_order_belongs_to_the_user_and_its_history_starts(app_ctx):
    user = make_user()
    edition = make_book(on_hand=5, published_on=date(2020, 1, 1)).editions[0]
    order = place(make_cart((edition, 1), user=user), user=user)
    assert order.user_id == user.id
    [event] = db.session.query(OrderEvent).filter_by(order_id=order.id).all()
    assert (event.from_state, event.to_state, event.actor) == (
        None,
        "pending_payment",
        f"user:{user.id}",
    )
