"""Helpers for the review tests: readers, staff, a bought book, a review taken to a state."""

from __future__ import annotations

import re

from bookstore.accounts.models import Role, User
from bookstore.catalog.models import Book
from bookstore.checkout.models import Order, OrderLine
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from bookstore.reviews import moderation, services
from bookstore.reviews.models import Review
from tests.factories import make_user

JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def make_staff(email: str = "sam@example.com") -> User:
    return make_user(email, name="Sam Staff", role=Role.STAFF)


def buy(user: User, book: Book, state: OrderState = OrderState.PAID) -> Order:
    """An order of the book's first edition by ``user``, as checkout leaves it in ``state``."""
    edition = book.editions[0]
    order = Order(
        email=user.email,
        user_id=user.id,
        state=state,
        subtotal_cents=edition.price_cents,
        total_cents=edition.price_cents,
        shipping_method="standard",
    )
    order.lines = [
        OrderLine(
            edition_id=edition.id,
            title=book.title,
            format=edition.format,
            isbn13=edition.isbn13,
            unit_price_cents=edition.price_cents,
            quantity=1,
        )
    ]
    db.session.add(order)
    db.session.flush()
    return order


def published_review(
    book: Book, *, rating: int = 4, name: str = "Nina Reader", body: str = "A fine read."
) -> Review:
    """A reader's review that staff approved."""
    reader = make_user(name=name)
    review = services.write_review(reader, book, rating=rating, title="", body=body)
    return moderation.approve(review.id, review.revision, actor=make_staff(f"s{reader.id}@x.org"))
