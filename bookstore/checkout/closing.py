"""What closing an account means for orders: one still under way stops it.

A closed account's orders stay (their ``user_id`` becomes NULL), each with its email, address
and signed link; but an order waiting for payment, for review or for its parcel would lose the
account page where its buyer follows it, so the account closes only once they are settled.
"""

from __future__ import annotations

from flask import Flask, has_request_context, url_for
from sqlalchemy import and_, or_, select

from bookstore.accounts.closing import Stop, register_closure
from bookstore.accounts.models import User
from bookstore.catalog.models import Format
from bookstore.checkout.models import Order, OrderLine, Shipment
from bookstore.checkout.states import OrderState
from bookstore.extensions import db

_WHY = {
    OrderState.PENDING_PAYMENT: "is waiting for payment: pay for it or cancel it.",
    OrderState.NEEDS_REVIEW: "is being checked by our staff: we will email you once it is settled.",
}
_NOT_SHIPPED = "has not shipped yet: you can close your account once it has."


def orders_under_way(user: User) -> list[Order]:
    """The user's orders waiting for payment or review, and paid parcels not yet sent."""
    physical = select(OrderLine.id).where(
        OrderLine.order_id == Order.id, OrderLine.format != Format.EBOOK
    )
    shipped = select(Shipment.id).where(Shipment.order_id == Order.id)
    return list(
        db.session.scalars(
            select(Order)
            .where(
                Order.user_id == user.id,
                or_(
                    Order.state.in_(list(_WHY)),
                    and_(
                        Order.state.in_([OrderState.PAID, OrderState.PARTIALLY_REFUNDED]),
                        physical.exists(),
                        ~shipped.exists(),
                    ),
                ),
            )
            .order_by(Order.created_at, Order.id)
        )
    )


def order_stops(user: User) -> list[Stop]:
    """One stop for each order under way, linking to its page (in a request: the staff's
    ``flask users close`` lists them without links)."""
    linked = has_request_context()
    return [
        Stop(
            f"Order {order.short_reference} {_WHY.get(order.state, _NOT_SHIPPED)}",
            url_for("checkout.order", reference=order.reference) if linked else None,
            "Open the order",
        )
        for order in orders_under_way(user)
    ]


def register(app: Flask) -> None:
    register_closure(app, stops=order_stops)
