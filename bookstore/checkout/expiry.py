"""Abandoned checkouts: give their copies back and close their orders.

Run by the job queue's scheduler every few minutes, and by ``flask checkout expire-stale``
(safe to repeat). Each order is settled in its own short transaction, with Stripe asked
before it opens: a session that can still be paid is expired at Stripe first, so nobody can
pay for an order we have given up on; one found paid is settled instead, and one awaiting a
delayed payment is left alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bookstore.checkout import workflow
from bookstore.checkout.models import Order
from bookstore.checkout.payments import close_payable_session
from bookstore.checkout.services import hold_minutes
from bookstore.checkout.states import OrderState
from bookstore.errors import PaymentServiceUnavailable
from bookstore.extensions import db
from bookstore.inventory import holds


def expire_stale(*, now: datetime, config: Mapping[str, Any]) -> Counter[str]:
    """Release lapsed holds, then close the orders whose checkout can no longer be paid.

    Commits after the release and after each order. Returns counts by outcome.
    """
    counts: Counter[str] = Counter()
    counts["released"] = len(holds.release_lapsed(now))
    db.session.commit()
    cutoff = now - timedelta(minutes=hold_minutes(config))
    stale = db.session.scalars(
        select(Order.id)
        .where(
            Order.state == OrderState.PENDING_PAYMENT,
            Order.created_at <= cutoff,
            (Order.reserved_until.is_(None)) | (Order.reserved_until <= now),
        )
        .order_by(Order.id)
    ).all()
    for order_id in stale:
        counts[_settle(order_id, now)] += 1
    return counts


def _settle(order_id: int, now: datetime) -> str:
    order = db.session.get(Order, order_id)
    if order is None or order.state is not OrderState.PENDING_PAYMENT:
        return "unchanged"
    try:
        outcome = close_payable_session(order, now=now)
    except PaymentServiceUnavailable:
        db.session.rollback()
        return "skipped (Stripe unavailable)"
    if outcome == "paid":
        return "fulfilled"
    if outcome == "processing":
        return "awaiting payment"
    moved = workflow.transition(
        order,
        OrderState.EXPIRED,
        actor="system",
        note="Checkout abandoned: the reservation expired.",
        source=OrderState.PENDING_PAYMENT,
        now=now,
    )
    db.session.commit()
    return "expired" if moved else "unchanged"
