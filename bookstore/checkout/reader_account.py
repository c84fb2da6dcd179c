"""Orders in the reader's account: their part of the reader's data file, what closing the
account means for them (one still under way stops it), and the orders placed as a guest that
join it once its address is confirmed.

A closed account's orders stay (their ``user_id`` becomes NULL), each with its email, address
and signed link; but an order waiting for payment, for review or for its parcel would lose the
account page where its buyer follows it, so the account closes only once they are settled.
"""

from __future__ import annotations

from flask import Flask, has_request_context, url_for
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import selectinload

from bookstore.accounts.closing import Stop, register_closure
from bookstore.accounts.confirming import register_confirmed
from bookstore.accounts.export import moment, register_export
from bookstore.accounts.models import User
from bookstore.catalog.models import Format
from bookstore.checkout.models import Order, OrderLine, Shipment
from bookstore.checkout.order_parts import OrderParts
from bookstore.checkout.states import OrderState
from bookstore.database import rowcount
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


def orders_data(user: User) -> list[dict]:
    """Every order the reader placed while logged in, oldest first, for their data file."""
    orders = db.session.scalars(
        select(Order)
        .where(Order.user_id == user.id)
        .options(selectinload(Order.lines))
        .order_by(Order.created_at, Order.id)
    )
    return [_order_data(order, OrderParts.read(order)) for order in orders]


def _order_data(order: Order, parts: OrderParts) -> dict:
    ship_to = {
        "name": order.ship_name,
        "line1": order.ship_line1,
        "line2": order.ship_line2,
        "city": order.ship_city,
        "region": order.ship_region,
        "postal_code": order.ship_postal_code,
        "country": order.ship_country,
    }
    return {
        "reference": order.short_reference,
        "placed_at": moment(order.created_at),
        "paid_at": moment(order.paid_at),
        "state": order.state.value,
        "email": order.email,
        "shipping_method": order.shipping_method,
        "ship_to": ship_to if order.ship_line1 else None,
        "lines": [
            {
                "title": line.title,
                "format": line.format.value,
                "isbn": line.isbn13,
                "unit_price_cents": line.unit_price_cents,
                "quantity": line.quantity,
                "tax_cents": line.tax_cents,
            }
            for line in order.lines
        ]
        + _added_lines(parts),
        "gift": _gift_data(parts),
        "currency": order.currency,
        "subtotal_cents": order.subtotal_cents,
        "shipping_cents": order.shipping_cents,
        "member_discount_cents": order.discount_cents,
        "promo_code": order.promo_code or None,
        "promo_discount_cents": order.promo_discount_cents,
        "tax": order.tax_label or None,
        "tax_cents": order.tax_cents,
        "total_cents": order.total_cents,
        "refunded_cents": order.refunded_cents,
    }


def _added_lines(parts: OrderParts) -> list[dict]:
    """A year of membership, or one given, as the order page lists them."""
    lines = []
    if parts.membership is not None:
        lines.append(
            {
                "title": "A year of membership",
                "unit_price_cents": parts.membership.price_cents,
                "quantity": 1,
            }
        )
    given = parts.gift_membership
    if given is not None:
        lines.append(
            {
                "title": f"Gift: a year of membership for {given.recipient_email}",
                "unit_price_cents": given.price_cents,
                "quantity": 1,
                "message": given.message or None,
            }
        )
    return lines


def _gift_data(parts: OrderParts) -> dict | None:
    """The order's gift options (message, wrapping, gift receipt), if it was a gift."""
    gift = parts.gift
    if gift is None:
        return None
    return {
        "from": gift.from_name or None,
        "message": gift.message or None,
        "wrap_cents": gift.wrap_cents if gift.wrap else 0,
        "receipt_to": gift.receipt_email or None,
    }


def claim_guest_orders(user: User) -> str | None:
    """Orders placed as a guest with the user's confirmed address join the account (one
    UPDATE: only orders no account has); what the reader is told, or None."""
    claimed = db.session.execute(
        update(Order)
        .where(Order.user_id.is_(None), Order.email == user.email)
        .values(user_id=user.id)
        .execution_options(synchronize_session=False)
    )
    count = rowcount(claimed)
    if not count:
        return None
    orders, verb = ("1 order", "is") if count == 1 else (f"{count} orders", "are")
    return f"{orders} you placed as a guest with {user.email} {verb} now in your account."


def register(app: Flask) -> None:
    register_closure(app, stops=order_stops)
    register_export(app, "orders", orders_data)
    register_confirmed(app, claim_guest_orders)
