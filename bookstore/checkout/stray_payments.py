"""Money that arrives for an order that cannot take it is given back, never kept.

A second payment for an order already paid (two sessions paid one after the other, or at
once), or a payment for an order that was cancelled, expired or refunded, is refunded whole
through Stripe by a job (idempotency key per payment) and the order's history says so. When
Stripe refuses the refund, the order is held for staff review with the reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from bookstore.checkout import gateway, workflow
from bookstore.checkout.models import Order, Refund
from bookstore.checkout.states import OrderState
from bookstore.errors import InvalidInput
from bookstore.extensions import db
from bookstore.jobs import job_handler
from bookstore.jobs.outbox import add_job
from bookstore.money import format_cents

JOB = "refund_stray_payment"


def refund_later(order: Order, session: gateway.CheckoutSession, *, actor: str) -> None:
    """Queue the refund of a payment the order cannot take (once per payment)."""
    intent = session.payment_intent
    if not intent:
        _hold_for_review(order, "A payment arrived without a payment reference.", actor=actor)
        return
    queued = add_job(
        JOB,
        {"order_id": order.id, "payment_intent": intent},
        key=f"stray-refund:{intent}",
    )
    if queued is None:
        return  # already queued by an earlier delivery of the same news
    amount = format_cents(session.amount_total or 0, session.currency or order.currency)
    workflow.note_event(
        order,
        actor=actor,
        note=f"Another payment of {amount} ({intent}) arrived for this "
        f"{OrderState(order.state).label.lower()} order: it is being refunded automatically.",
    )


@job_handler(JOB)
def refund_stray_payment(payload: dict[str, Any], _job: object) -> None:
    """Refund the whole payment through Stripe (no transaction open), then record it."""
    intent = payload["payment_intent"]
    order = db.session.get(Order, payload["order_id"])
    if order is None:
        return
    try:
        refund = gateway.create_refund(
            intent,
            None,
            idempotency_key=f"stray-{intent}",
            metadata={"order_id": str(payload["order_id"]), "reason": "second payment"},
        )
    except InvalidInput as refused:
        _hold_for_review(order, f"Could not refund payment {intent}: {refused}", actor="system")
        db.session.commit()
        return
    db.session.add(
        Refund(
            order_id=order.id,
            stripe_refund_id=refund["id"],
            amount_cents=refund["amount"],
            reason=f"Second payment {intent} refunded automatically",
            stray=True,
        )
    )
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # recorded by an earlier run of this job
        return
    workflow.note_event(
        order,
        actor="system",
        note=f"Refunded {format_cents(refund['amount'], order.currency)} of payment {intent}.",
    )
    db.session.commit()


def _hold_for_review(order: Order, reason: str, *, actor: str) -> None:
    """Put the order in front of staff: needs review if it was given up on, else flagged."""
    state = OrderState(order.state)
    if state in (OrderState.CANCELLED, OrderState.EXPIRED) and workflow.transition(
        order,
        OrderState.NEEDS_REVIEW,
        actor=actor,
        note=reason,
        values={"review_reason": reason[:300]},
    ):
        return
    order.review_reason = reason[:300]
    workflow.note_event(order, actor=actor, note=reason)
