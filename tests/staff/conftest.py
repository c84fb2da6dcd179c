"""Clients logged in as staff, as a customer, and anonymous, and a paid order in the shop
with the Stripe stand-in. Helpers (``log_in``, ``make_order``) are in ``tests.staff.helpers``."""

import pytest

from bookstore.accounts.models import Role
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from tests.checkout.shoppers import Buyer, order_state
from tests.factories import make_book, make_user
from tests.staff.helpers import log_in


@pytest.fixture
def staff_user(app):
    with app.app_context():
        user = make_user("staff@example.com", name="Sam Staff", role=Role.STAFF)
        db.session.commit()
        return db.session.get(type(user), user.id)


@pytest.fixture
def staff_client(app, staff_user):
    client = app.test_client()
    log_in(client, staff_user)
    return client


@pytest.fixture
def customer_client(app):
    with app.app_context():
        user = make_user("customer@example.com", name="Casey Customer")
        db.session.commit()
        client = app.test_client()
        log_in(client, user)
        return client


@pytest.fixture
def staff(shop):
    with shop.app_context():
        user = make_user("packer@example.com", name="Pat Packer", role=Role.STAFF)
        db.session.commit()
        client = shop.test_client()
        log_in(client, user)
        return client


@pytest.fixture
def paid_order(shop, stripe_sandbox):
    """A guest's paid order of 2 paperbacks at $16 and 1 ebook at $10 (+ $5 shipping)."""
    with shop.app_context():
        book = make_book("Murder at the Dacha", formats=("paperback", "ebook"), on_hand=5)
        paperback, ebook = (e.id for e in book.editions)
        db.session.commit()
    buyer = Buyer(shop)
    buyer.add(paperback, 2)
    buyer.add(ebook, 1)
    checkout = buyer.checkout()
    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    buyer.follow(paid.location)
    order = order_state(shop, checkout.reference)
    assert order.state is OrderState.PAID
    return order, paperback
