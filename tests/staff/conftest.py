"""Clients logged in as staff, as a customer, and anonymous; orders written straight to the
database for screens that only read them."""

from datetime import datetime

import pytest

from bookstore.accounts.models import Role
from bookstore.catalog.models import Format
from bookstore.checkout.models import Order, OrderLine
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from tests.factories import make_user


def log_in(client, user) -> None:
    """Put the user in the client's session the way Flask-Login does after a login."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


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


def make_order(
    total_cents: int,
    *,
    state: OrderState = OrderState.PAID,
    paid_at: datetime | None = None,
    created_at: datetime | None = None,
    email: str = "reader@example.com",
    fmt: Format = Format.PAPERBACK,
) -> Order:
    """An order of one line costing ``total_cents`` (no shipping), as checkout leaves it."""
    order = Order(
        email=email,
        state=state,
        subtotal_cents=total_cents,
        total_cents=total_cents,
        shipping_method="standard" if fmt.is_physical else "none",
        paid_at=paid_at,
        **({"created_at": created_at} if created_at else {}),
    )
    order.lines = [
        OrderLine(
            title="Murder at the Dacha",
            format=fmt,
            isbn13="9781880100929",
            unit_price_cents=total_cents,
            quantity=1,
        )
    ]
    db.session.add(order)
    db.session.flush()
    return order
