"""Buying a year of membership through the same Stripe checkout as books.

A membership order is an ordinary ``Order`` (pending payment, no shipping, no book lines) plus
an ``OrderMembership`` row; ``payment_line_items`` turns that row into the Stripe line item, and
``order_paid`` starts or extends the member's term when checkout marks the order paid.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.extensions import db
from bookstore.members.models import OrderMembership
from bookstore.members.services import extend_by_year

PRODUCT_NAME = "Annual membership (one year)"


def start_membership_order(user: User, *, now: datetime, config: Mapping) -> Any:
    """A new order, awaiting payment, for one year of membership at the configured price."""
    from bookstore.checkout.models import Order
    from bookstore.checkout.services import record_event
    from bookstore.checkout.states import OrderState

    price = int(config["MEMBERSHIP_PRICE_CENTS"])
    order = Order(
        user_id=user.id,
        cart_id=None,
        email=user.email,
        shipping_method="none",
        subtotal_cents=price,
        shipping_cents=0,
        discount_cents=0,
        total_cents=price,
        currency=str(config.get("CURRENCY", "USD")).upper(),
        state=OrderState.PENDING_PAYMENT,
        created_at=now,
    )
    db.session.add(order)
    db.session.flush()
    db.session.add(OrderMembership(order_id=order.id, user_id=user.id, price_cents=price))
    record_event(
        order,
        None,
        OrderState.PENDING_PAYMENT,
        actor=f"user:{user.id}",
        user_id=user.id,
        note="Annual membership",
    )
    db.session.flush()
    return order


def membership_of_order(order_id: int) -> OrderMembership | None:
    """The membership an order buys, if it buys one."""
    return db.session.get(OrderMembership, order_id)


def membership_line_items(order: Any) -> list[dict[str, Any]]:
    """The Stripe line item of a membership order (none for other orders)."""
    bought = membership_of_order(order.id)
    if bought is None:
        return []
    return [
        {
            "quantity": 1,
            "price_data": {
                "currency": order.currency.lower(),
                "unit_amount": bought.price_cents,
                "product_data": {"name": PRODUCT_NAME},
            },
        }
    ]


def order_paid(order_id: int, *, now: datetime) -> None:
    """Start or extend the buyer's membership by a year; once per order."""
    bought = db.session.scalar(
        select(OrderMembership).where(OrderMembership.order_id == order_id).with_for_update()
    )
    if bought is None or bought.membership_id is not None:
        return
    user = db.session.get(User, bought.user_id)
    term = extend_by_year(user, now=now, order_id=order_id)
    bought.membership_id = term.id
    db.session.flush()
