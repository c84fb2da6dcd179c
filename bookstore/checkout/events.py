"""Stripe webhook events: each handled once, in any order, whatever Stripe repeats.

The event id goes into ``processed_stripe_events`` (unique) in the same transaction as the
work: a duplicate delivery, or a second concurrent one, finds it there and does nothing; a
failure rolls both back, so Stripe's retry handles the event again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bookstore.catalog import stock
from bookstore.checkout import gateway
from bookstore.checkout.fulfilment import fulfil_checkout
from bookstore.checkout.models import Order, ProcessedStripeEvent
from bookstore.checkout.services import move_order, order_by_session
from bookstore.checkout.states import OrderState
from bookstore.extensions import db

# While a delayed payment (bank debit) is processing, its copies stay held this long.
ASYNC_HOLD = timedelta(days=7)

HANDLED = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
)


def _as_dict(obj: Any) -> dict:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return dict(obj or {})


def record_once(event_id: str, event_type: str, *, now: datetime) -> bool:
    """Record the event id; False when it was already recorded (a duplicate delivery).

    ``INSERT ... ON CONFLICT DO NOTHING``: a concurrent delivery of the same event waits for
    the first transaction and then inserts nothing. (No savepoint: SQLite's driver would
    commit a savepoint that opens the transaction.)
    """
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = (
        insert(ProcessedStripeEvent.__table__)
        .values(event_id=event_id, event_type=event_type, processed_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT.
        .returning(ProcessedStripeEvent.__table__.c.id)
    )
    return db.session.execute(stmt).scalar() is not None


def handle_event(event: Any, *, now: datetime) -> str:
    """Apply one verified Stripe event; returns what happened, in a word or two (for logs).

    Unknown types are ignored. Raises PaymentServiceUnavailable when Stripe must be asked
    and does not answer: the caller rolls back and answers with an error so Stripe retries.
    """
    data = _as_dict(event)
    event_id, event_type = data.get("id"), data.get("type")
    if not isinstance(event_id, str) or not isinstance(event_type, str):
        return "malformed"
    if event_type not in HANDLED:
        return "ignored"
    obj = ((data.get("data") or {}).get("object")) or {}
    if not record_once(event_id, event_type, now=now):
        return "duplicate"
    if event_type == "charge.refunded":
        return apply_refund(obj, now=now)
    session_id = obj.get("id")
    if not isinstance(session_id, str):
        return "malformed"
    order = _order_for_session(obj)
    if order is None:
        return "unknown order"
    if event_type == "checkout.session.completed":
        if obj.get("payment_status") == "paid":
            return _fulfil(session_id, now)
        _keep_holding(order, now)
        return "awaiting async payment"
    if event_type == "checkout.session.async_payment_succeeded":
        return _fulfil(session_id, now)
    target = (
        OrderState.CANCELLED
        if event_type == "checkout.session.async_payment_failed"
        else OrderState.EXPIRED
    )
    if order.stripe_session_id and order.stripe_session_id != session_id:
        # An older attempt's session expired: the order has moved on to a newer one.
        return "stale session"
    note = "Payment failed." if target is OrderState.CANCELLED else "Checkout session expired."
    if move_order(order, OrderState.PENDING_PAYMENT, target, actor="stripe", note=note):
        stock.release_order_stock(order.id)
        return target.value
    return "no change"


def _fulfil(session_id: str, now: datetime) -> str:
    result = fulfil_checkout(session_id, now=now, actor="stripe")
    return "paid" if result.newly_paid else f"no change ({result.order.state})"


def _order_for_session(obj: dict) -> Order | None:
    order = order_by_session(obj["id"])
    if order is None:
        order_id = (obj.get("metadata") or {}).get("order_id")
        if isinstance(order_id, str) and order_id.isdigit():
            order = db.session.get(Order, int(order_id))
    return order


def _keep_holding(order: Order, now: datetime) -> None:
    # The buyer has committed to a delayed payment: keep the copies until it settles.
    db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.state == OrderState.PENDING_PAYMENT,
            Order.reserved_until.is_not(None),
        )
        .values(reserved_until=now + ASYNC_HOLD),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(order, ["reserved_until"])


def apply_refund(charge: dict, *, now: datetime) -> str:
    """Record a refund reported by Stripe: the order becomes refunded or partially refunded.

    Stripe reports the charge's total refunded so far, so deliveries out of order are safe:
    the refunded amount only ever grows.
    """
    intent = charge.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    if not isinstance(intent, str):
        return "malformed"
    order = db.session.scalars(
        select(Order).where(Order.stripe_payment_intent == intent)
    ).one_or_none()
    if order is None:
        # A refund that overtook the payment's own event: the order does not know its payment
        # yet, but the payment knows its order.
        order_id = gateway.order_id_of_payment(intent)
        order = db.session.get(Order, order_id) if order_id is not None else None
    if order is None:
        return "unknown order"
    if order.state is OrderState.PENDING_PAYMENT and order.stripe_session_id:
        # The refund overtook the payment's own event: settle the payment first.
        fulfil_checkout(order.stripe_session_id, now=now, actor="stripe")
        db.session.refresh(order)
    refunded = charge.get("amount_refunded")
    if not isinstance(refunded, int) or refunded <= order.refunded_cents:
        return "no change"
    refunded = min(refunded, order.total_cents)
    source = OrderState(order.state)
    target = OrderState.REFUNDED if refunded >= order.total_cents else OrderState.PARTIALLY_REFUNDED
    if source not in (OrderState.PAID, OrderState.SHIPPED, OrderState.PARTIALLY_REFUNDED):
        return "no change"
    moved = move_order(
        order,
        source,
        target,
        actor="stripe",
        note=f"Refunded {refunded} {order.currency} in all.",
        guard=Order.refunded_cents < refunded,
        refunded_cents=refunded,
    )
    return target.value if moved else "no change"
