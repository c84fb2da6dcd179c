"""Stripe webhook events: each handled once, in any order, whatever Stripe repeats.

Verify (the view), then ask Stripe for what the event needs with no transaction open, then
one short write transaction: the event id goes into ``processed_stripe_events`` (unique) with
the work, so a duplicate delivery, or a second concurrent one, finds it there and does
nothing, and a failure rolls both back so Stripe's retry handles the event again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bookstore.checkout import gateway, workflow
from bookstore.checkout.fulfilment import settle_session
from bookstore.checkout.models import Order, ProcessedStripeEvent
from bookstore.checkout.states import OrderState
from bookstore.errors import NotFound
from bookstore.extensions import db
from bookstore.inventory import holds
from bookstore.money import format_cents

# While a delayed payment (bank debit) is processing, its copies stay held this long.
ASYNC_HOLD = timedelta(days=7)

SESSION_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)
HANDLED = (*SESSION_EVENTS, "charge.refunded")


@dataclass(frozen=True)
class Event:
    """A verified event, with what was fetched from Stripe for it before any write."""

    id: str
    type: str
    obj: dict[str, Any]
    # The Checkout Session as Stripe has it now (payment events), or the order a refunded
    # payment belongs to when the shop does not know that payment yet.
    session: gateway.CheckoutSession | None = None
    refund_order_id: int | None = None


def _as_dict(obj: Any) -> dict[str, Any]:
    return dict(obj.to_dict() if hasattr(obj, "to_dict") else (obj or {}))


def handle_event(raw: Any, *, now: datetime) -> str:
    """Apply one verified Stripe event; returns what happened, in a word or two (for logs).

    Unknown types are ignored. Raises PaymentServiceUnavailable when Stripe must be asked
    and does not answer: nothing was written, and Stripe retries. Writes but does not commit.
    """
    data = _as_dict(raw)
    event_id, event_type = data.get("id"), data.get("type")
    if not isinstance(event_id, str) or not isinstance(event_type, str):
        return "malformed"
    if event_type not in HANDLED:
        return "ignored"
    obj = ((data.get("data") or {}).get("object")) or {}
    if not isinstance(obj, dict):
        return "malformed"
    if _already_processed(event_id):
        return "duplicate"
    event = _fetch(Event(event_id, event_type, obj))
    if event is None:
        return "malformed"
    if not record_once(event.id, event.type, now=now):
        return "duplicate"
    if event.type == "charge.refunded":
        return apply_refund(event, now=now)
    return _apply_session_event(event, now=now)


def _already_processed(event_id: str) -> bool:
    return (
        db.session.scalar(
            select(ProcessedStripeEvent.id).where(ProcessedStripeEvent.event_id == event_id)
        )
        is not None
    )


def _fetch(event: Event) -> Event | None:
    """Read from Stripe what the event needs (no transaction is open)."""
    if event.type == "charge.refunded":
        intent = _intent_of(event.obj)
        if intent is None:
            return None
        known = db.session.scalar(select(Order.id).where(Order.stripe_payment_intent == intent))
        if known is not None:
            return event
        # A refund that overtook the payment's own event: the payment knows its order, and
        # the order's session tells whether it was paid (settled before the refund).
        order_id = gateway.order_id_of_payment(intent)
        order = db.session.get(Order, order_id) if order_id is not None else None
        session_id = order.stripe_session_id if order is not None else None
        pending = order is not None and order.state is OrderState.PENDING_PAYMENT
        session = gateway.retrieve_session(session_id) if pending and session_id else None
        return Event(event.id, event.type, event.obj, session, order_id)
    if not isinstance(event.obj.get("id"), str):
        return None
    if event.type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        try:
            session = gateway.retrieve_session(event.obj["id"])
        except NotFound:
            return event
        return Event(event.id, event.type, event.obj, session)
    return event


def record_once(event_id: str, event_type: str, *, now: datetime) -> bool:
    """Record the event id; False when it was already recorded (a duplicate delivery).

    ``INSERT ... ON CONFLICT DO NOTHING``: a concurrent delivery of the same event waits for
    the first transaction and then inserts nothing.
    """
    postgres = db.session.get_bind().dialect.name == "postgresql"
    insert = postgresql_insert if postgres else sqlite_insert
    stmt = (
        insert(ProcessedStripeEvent)
        .values(event_id=event_id, event_type=event_type, processed_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT.
        .returning(ProcessedStripeEvent.id)
    )
    return db.session.execute(stmt).scalar() is not None


def _apply_session_event(event: Event, *, now: datetime) -> str:
    if event.session is not None:
        try:
            settled = settle_session(event.session, now=now, actor="stripe")
        except NotFound:
            return "unknown order"
        if event.session.payment_status != "paid" and event.type == "checkout.session.completed":
            _keep_holding(settled.order, now)
            return "awaiting async payment"
        return "paid" if settled.newly_paid else settled.outcome
    order = _order_for_session(event.obj)
    if order is None:
        return "unknown order"
    if event.type in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        return "unknown session"
    if order.stripe_session_id and order.stripe_session_id != event.obj["id"]:
        # An older attempt's session ended: the order has moved on to a newer one.
        return "stale session"
    failed = event.type == "checkout.session.async_payment_failed"
    target = OrderState.CANCELLED if failed else OrderState.EXPIRED
    note = "Payment failed." if failed else "Checkout session expired."
    moved = workflow.transition(
        order, target, actor="stripe", note=note, source=OrderState.PENDING_PAYMENT, now=now
    )
    return target.value if moved else "no change"


def _order_for_session(obj: dict[str, Any]) -> Order | None:
    order = db.session.scalars(select(Order).where(Order.stripe_session_id == obj["id"])).first()
    if order is None:
        order_id = (obj.get("metadata") or {}).get("order_id")
        if isinstance(order_id, str) and order_id.isdigit():
            order = db.session.get(Order, int(order_id))
    return order


def _keep_holding(order: Order, now: datetime) -> None:
    # The buyer has committed to a delayed payment: keep the copies until it settles.
    until = now + ASYNC_HOLD
    db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.state == OrderState.PENDING_PAYMENT,
            Order.reserved_until.is_not(None),
        )
        .values(reserved_until=until),
        execution_options={"synchronize_session": False},
    )
    holds.extend_hold(order.id, until)
    db.session.expire(order, ["reserved_until"])


def _intent_of(charge: dict[str, Any]) -> str | None:
    intent = charge.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    return intent if isinstance(intent, str) else None


def apply_refund(event: Event, *, now: datetime) -> str:
    """Record a refund reported by Stripe: the order becomes refunded or partially refunded.

    Stripe reports the charge's total refunded so far, so deliveries out of order are safe:
    the refunded amount only ever grows. Refunds of a second payment (refunded automatically,
    see ``stray_payments``) are not the order's own and change nothing here.
    """
    intent = _intent_of(event.obj)
    order = db.session.scalars(
        select(Order).where(Order.stripe_payment_intent == intent)
    ).one_or_none()
    if order is None and event.refund_order_id is not None:
        order = db.session.get(Order, event.refund_order_id)
        if order is not None and order.stripe_payment_intent not in (None, intent):
            return "refund of another payment"
    if order is None:
        return "unknown order"
    if order.state is OrderState.PENDING_PAYMENT and event.session is not None:
        settle_session(event.session, now=now, actor="stripe")
        db.session.refresh(order)
    refunded = event.obj.get("amount_refunded")
    if not isinstance(refunded, int) or refunded <= order.refunded_cents:
        return "no change"
    refunded = min(refunded, order.total_cents)
    source = OrderState(order.state)
    if not source.is_refundable:
        return "no change"
    target = OrderState.REFUNDED if refunded >= order.total_cents else OrderState.PARTIALLY_REFUNDED
    before = order.refunded_cents
    moved = workflow.transition(
        order,
        target,
        actor="stripe",
        note=f"Refunded {format_cents(refunded - before, order.currency)} at Stripe "
        f"({format_cents(refunded, order.currency)} in all).",
        source=source,
        guard=Order.refunded_cents < refunded,
        values={"refunded_cents": refunded},
        now=now,
        refund_cents=refunded - before,
    )
    return target.value if moved else "no change"
