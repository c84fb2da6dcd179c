"""Fixtures of the cart tests: editions in given states, carts (helpers: helpers.py)."""

from datetime import date

import pytest

from bookstore.cart import services
from bookstore.extensions import db
from tests.factories import make_book


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
