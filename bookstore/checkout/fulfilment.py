"""Settling a Checkout Session that Stripe says is paid: the order becomes paid, once.

``settle_session`` takes the session as read from Stripe (by the caller, before any write:
see ``payments.confirm_session`` and the webhook) and makes the one move it calls for through
the workflow. Whichever caller comes first -- the success page, the webhook, the expiry job --
wins the conditional UPDATE; every later or concurrent call finds nothing to do.

Money for an order that is already paid with another payment, or that was given up on
(cancelled, expired, refunded), is never kept: a job refunds it through Stripe and the
order's history says so (``stray_payments``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bookstore.checkout import gateway, stray_payments, workflow
from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.errors import NotFound
from bookstore.extensions import db


@dataclass(frozen=True)
class Settlement:
    """What settling a session did: the order, and whether this call marked it paid."""

    order: Order
    newly_paid: bool
    outcome: str


def order_of_session(session: gateway.CheckoutSession) -> Order:
    """The order a Checkout Session pays for; NotFound if it is not one of ours."""
    order = db.session.scalars(
        select(Order).where(Order.stripe_session_id == session.id)
    ).one_or_none()
    if order is None and session.order_id and session.order_id.isdigit():
        order = db.session.get(Order, int(session.order_id))
    if order is None or (
        session.client_reference_id and session.client_reference_id != order.reference
    ):
        raise NotFound("No order belongs to this checkout session.")
    return order


def settle_session(
    session: gateway.CheckoutSession, *, now: datetime, actor: str = "stripe"
) -> Settlement:
    """Record what a Checkout Session (read from Stripe just now) means for its order."""
    order = order_of_session(session)
    if session.payment_status != "paid":
        return Settlement(order, False, f"awaiting payment ({session.payment_status})")
    if session.payment_intent and session.payment_intent == order.stripe_payment_intent:
        return Settlement(order, False, f"no change ({order.state})")
    if order.state is OrderState.PENDING_PAYMENT:
        if _take_payment(order, session, now=now, actor=actor):
            # The move expired the order: its state reads as this transaction wrote it.
            paid = OrderState(order.state) is OrderState.PAID
            return Settlement(order, paid, str(order.state))
        # Someone else moved the order first: look again at what it is now.
        db.session.refresh(order)
        if session.payment_intent == order.stripe_payment_intent:
            return Settlement(order, False, f"no change ({order.state})")
    stray_payments.refund_later(order, session, actor=actor)
    return Settlement(order, False, "second payment refunded")


def _take_payment(
    order: Order, session: gateway.CheckoutSession, *, now: datetime, actor: str
) -> bool:
    """The order's payment: paid, or held for review when the amount is not the order's."""
    payment = {"stripe_payment_intent": session.payment_intent, "stripe_session_id": session.id}
    if session.amount_total != order.total_cents or (session.currency or "") != order.currency:
        mismatch = (
            f"Stripe charged {session.amount_total} {session.currency} but the order is "
            f"{order.total_cents} {order.currency}."
        )
        return workflow.transition(
            order,
            OrderState.NEEDS_REVIEW,
            actor=actor,
            note=mismatch,
            source=OrderState.PENDING_PAYMENT,
            now=now,
            values={**payment, "review_reason": mismatch[:300]},
        )
    return workflow.transition(
        order,
        OrderState.PAID,
        actor=actor,
        note="Payment received.",
        source=OrderState.PENDING_PAYMENT,
        now=now,
        values={**payment, "paid_at": now},
    )
