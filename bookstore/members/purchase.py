"""Buying a year of membership through the same cart and Stripe checkout as books.

A year of membership sits in the cart (``Cart.membership``); the order placed from that cart
gets an ``OrderMembership`` row, ``membership_line_items`` turns it into the Stripe line item,
and ``order_paid`` starts or extends the member's term when checkout marks the order paid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.extensions import db
from bookstore.members.models import OrderMembership
from bookstore.members.services import extend_by_year

PRODUCT_NAME = "Annual membership (one year)"


def add_membership_to_order(order: Any, user: User, price_cents: int) -> OrderMembership:
    """Record that ``order`` (being placed from a cart) buys a year of membership for ``user``."""
    bought = OrderMembership(order_id=order.id, user_id=user.id, price_cents=price_cents)
    db.session.add(bought)
    db.session.flush()
    return bought


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
    if user is None:  # the account was deleted: nobody to make a member
        return
    term = extend_by_year(user, now=now, order_id=order_id)
    bought.membership_id = term.id
    db.session.flush()
