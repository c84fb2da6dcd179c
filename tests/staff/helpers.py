"""Helpers for the staff tests: logging a client in, and orders written straight to the
database for screens that only read them."""

from datetime import datetime

from bookstore.catalog.models import Format
from bookstore.checkout.models import Order, OrderLine
from bookstore.checkout.states import OrderState
from bookstore.extensions import db


def log_in(client, user) -> None:
    """Put the user in the client's session the way Flask-Login does after a login."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


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
