"""Helpers of the cart tests: editions in given states, carts, and logging a client in."""

from datetime import date

import pytest

from bookstore.cart import services
from bookstore.extensions import db
from tests.factories import make_book, make_user

MAX = 10


@pytest.fixture
def make_edition(app_ctx):
    """Build one edition: ``make_edition(on_hand=3)``, ``make_edition("ebook")``..."""

    def _make(fmt: str = "paperback", *, price_cents: int = 1600, on_hand: int = 10, **fields):
        published_on = fields.pop("published_on", date(2015, 1, 1))
        book = make_book(
            formats=(fmt,), price_cents=price_cents, on_hand=on_hand, published_on=published_on
        )
        edition = book.editions[0]
        for name, value in fields.items():
            setattr(edition, name, value)
        if fmt == "ebook":
            edition.price_cents = price_cents
        db.session.flush()
        return edition

    return _make


@pytest.fixture
def guest_cart(app_ctx):
    """An (empty, flushed) guest cart."""
    return services.open_cart(None, None)


def snapshot(cart) -> list[tuple[int, int, int]]:
    """(edition id, quantity, price seen) of every line, read from the database."""
    db.session.expire_all()
    return [(ln.edition_id, ln.quantity, ln.price_seen_cents) for ln in services.cart_lines(cart)]


def log_in(client, user) -> None:
    """Log the test client in as ``user`` without going through the login form."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def new_user(**fields):
    user = make_user(**fields)
    db.session.commit()
    return user
