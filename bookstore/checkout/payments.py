"""Paying for an order: Stripe called between short transactions, never inside one.

A write transaction holds locks (on SQLite, the whole database) until it ends, so a slow
Stripe inside one would make every other shopper wait. These functions therefore own their
transactions -- they are the one place in checkout that commits: write and commit, call
Stripe with nothing written, then record the answer with a conditional UPDATE and commit.
The per-attempt idempotency key makes a retried call safe.

An order has at most one payable Checkout Session at a time: before a new one is opened, the
previous one is expired at Stripe; one that cannot be expired because it was paid meanwhile
is settled instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.cart.models import Cart
from bookstore.checkout import gateway, services, workflow
from bookstore.checkout.fulfilment import Settlement, settle_session
from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.deals import orders as deal_orders
from bookstore.errors import InvalidTransition, NotFound, PaymentServiceUnavailable
from bookstore.extensions import db
from bookstore.gifts import services as gift_services
from bookstore.promotions import orders as promo_orders


@dataclass(frozen=True)
class PaymentStep:
    """Where the shopper goes next: to Stripe (``url``), or to the order, already paid or
    with a delayed payment under way."""

    kind: str  # "stripe", "paid" or "processing"
    url: str | None = None


def open_payment(
    order: Order, *, now: datetime, success_url: str, cancel_url: str, config: Mapping[str, Any]
) -> PaymentStep:
    """Open the order's (one) payable Checkout Session and say where the shopper goes.

    Raises PaymentServiceUnavailable with the order still pending and its copies still held
    (a retry opens a fresh attempt), InvalidTransition when the order is no longer waiting
    for payment, OutOfStock when its lapsed hold cannot be taken again.
    """
    # What the order holds stays loaded through this commit: its amounts and lines never
    # change once placed, and every move below is guarded by the order's state and attempt
    # in the database, not by what was read.
    with _keeping_loaded():
        db.session.commit()
    previous = close_payable_session(order, now=now)
    if previous in ("paid", "processing"):
        return PaymentStep(previous)
    attempt = services.next_attempt(order, now=now, config=config)
    codes = promo_orders.line_discounts(order.id) if order.promo_discount_cents else {}
    request = gateway.session_request(
        order,
        attempt,
        line_items=deal_orders.payment_line_items(order, code_discounts=codes)
        + gift_services.gift_line_items(order),
        success_url=success_url,
        cancel_url=cancel_url,
    )
    with _keeping_loaded():
        db.session.commit()
    session = gateway.create_checkout_session(request)
    stored = services.record_session(order, attempt, session.id)
    db.session.commit()
    if not stored:
        # A later attempt (another tab) or a payment overtook this one: this session must
        # not stay payable.
        with contextlib.suppress(PaymentServiceUnavailable):
            gateway.expire_session(session.id)
        raise InvalidTransition("This order changed meanwhile; reload and try again.")
    return PaymentStep("stripe", session.url)


@contextlib.contextmanager
def _keeping_loaded() -> Iterator[None]:
    """Commit without expiring what the session has loaded (no re-read after the commit)."""
    session = db.session()
    before, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = before


def close_payable_session(order: Order, *, now: datetime) -> str:
    """Make sure the order's current Checkout Session can no longer be paid.

    Returns "none" (it has none), "closed" (expired now or before), "paid" (it was paid: the
    order is settled, committed) or "processing" (a delayed payment is under way). Raises
    PaymentServiceUnavailable when Stripe cannot say.
    """
    session_id = order.stripe_session_id
    if not session_id:
        return "none"
    db.session.commit()
    try:
        if gateway.expire_session(session_id) is not None:
            return "closed"
        session = gateway.retrieve_session(session_id)
    except NotFound:
        return "closed"
    if session.status != "complete":
        return "closed"
    if session.payment_status != "paid":
        return "processing"
    settle_session(session, now=now, actor="stripe")
    db.session.commit()
    return "paid"


def confirm_session(session_id: str, *, now: datetime, actor: str) -> Settlement:
    """Ask Stripe about a session, then settle its order in one short transaction."""
    db.session.commit()
    session = gateway.retrieve_session(session_id)
    settlement = settle_session(session, now=now, actor=actor)
    db.session.commit()
    return settlement


def cancel_checkout(
    order: Order,
    *,
    now: datetime,
    actor: User | None,
    note: str = "Checkout cancelled by the shopper.",
) -> str:
    """The shopper left Stripe's page (or pays again from a new checkout): cancel the order,
    give its copies back, then expire its session at Stripe.

    Returns "cancelled", "paid" or "processing" (paid meanwhile in another tab: the caller
    shows the order), or "unchanged" (no longer pending). When Stripe cannot be reached the
    order is cancelled anyway; a payment that still arrives is refunded automatically.
    """
    if order.state is not OrderState.PENDING_PAYMENT:
        return "unchanged"
    if order.stripe_session_id:
        db.session.commit()
        try:
            session = gateway.retrieve_session(order.stripe_session_id)
        except (PaymentServiceUnavailable, NotFound):
            session = None
        if session is not None and session.status == "complete":
            if session.payment_status != "paid":
                return "processing"
            settle_session(session, now=now, actor="stripe")
            db.session.commit()
            return "paid"
    moved = workflow.transition(
        order,
        OrderState.CANCELLED,
        actor=services.actor_label(actor),
        user_id=services.actor_id(actor),
        note=note,
        source=OrderState.PENDING_PAYMENT,
        now=now,
    )
    db.session.commit()
    if moved:
        # So that it can no longer be paid; paid in the instant between, it is refunded.
        with contextlib.suppress(PaymentServiceUnavailable):
            close_payable_session(order, now=now)
    return "cancelled" if moved else "unchanged"


def supersede_pending(cart: Cart | None, *, now: datetime, actor: User | None) -> bool:
    """Cancel the cart's earlier unpaid checkouts before a new one (the shopper came back
    from Stripe with the Back button and pays again), so they hold no copies and can no
    longer be paid. One that was paid meanwhile is settled and kept. True when there were
    any (copies, claims or a code's use may have come back: price the cart again)."""
    if cart is None or cart.id is None:
        return False
    pending = db.session.scalars(
        select(Order)
        .where(Order.cart_id == cart.id, Order.state == OrderState.PENDING_PAYMENT)
        .order_by(Order.id)
    ).all()
    for order in pending:
        cancel_checkout(order, now=now, actor=actor, note="Replaced by a new checkout.")
    return bool(pending)
