"""Abandoned checkouts: give their stock back and close their orders (``flask checkout
expire-stale``, safe to run as often as you like, e.g. every few minutes from cron)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select

from bookstore.catalog import stock
from bookstore.checkout import gateway
from bookstore.checkout.fulfilment import fulfil_checkout
from bookstore.checkout.models import Order
from bookstore.checkout.services import hold_minutes, move_order
from bookstore.checkout.states import OrderState
from bookstore.errors import NotFound, PaymentServiceUnavailable
from bookstore.extensions import db


def expire_stale(*, now: datetime, config: Mapping) -> Counter:
    """Release lapsed holds, then close orders whose checkout can no longer be paid.

    An order with an open Stripe session is closed only after Stripe agrees to expire the
    session, so nobody can pay for an order we have given up on; a session found paid is
    fulfilled instead, and one awaiting a delayed payment is left alone. Returns counts.
    """
    counts: Counter = Counter()
    counts["released"] = len(stock.release_expired(now))
    cutoff = now - timedelta(minutes=hold_minutes(config))
    stale = db.session.scalars(
        select(Order)
        .where(
            Order.state == OrderState.PENDING_PAYMENT,
            Order.created_at <= cutoff,
            (Order.reserved_until.is_(None)) | (Order.reserved_until <= now),
        )
        .order_by(Order.id)
    ).all()
    for order in stale:
        counts[_settle(order, now)] += 1
    return counts


def _settle(order: Order, now: datetime) -> str:
    if order.stripe_session_id:
        try:
            if gateway.expire_session(order.stripe_session_id) is None:
                session = gateway.retrieve_session(order.stripe_session_id)
                if session.status == "complete":
                    if session.payment_status == "paid":
                        fulfil_checkout(session.id, now=now, actor="system")
                        return "fulfilled"
                    return "awaiting payment"
        except PaymentServiceUnavailable:
            return "skipped (Stripe unavailable)"
        except NotFound:
            pass
    if move_order(
        order,
        OrderState.PENDING_PAYMENT,
        OrderState.EXPIRED,
        actor="system",
        note="Checkout abandoned: the reservation expired.",
    ):
        stock.release_order_stock(order.id)
        return "expired"
    return "unchanged"
