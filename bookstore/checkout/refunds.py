"""Refunds through Stripe, and staff decisions on orders held for review.

Stripe is called before anything is written (the caller has written nothing either), then
the answer is recorded in one short transaction; the idempotency key (order, amount refunded
before, amount) makes a double click or a retry reach Stripe as the same request.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bookstore.accounts.models import User
from bookstore.checkout import effects, gateway, workflow
from bookstore.checkout.models import Order, Refund
from bookstore.checkout.states import OrderState
from bookstore.deals import orders as deal_orders
from bookstore.errors import InvalidInput, InvalidTransition
from bookstore.extensions import db
from bookstore.money import format_cents
from bookstore.promotions import orders as promo_orders
from bookstore.tax import services as tax


def refunds_of(order: Order) -> list[Refund]:
    """The order's refunds, oldest first."""
    return list(
        db.session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id))
    )


def refunded_copies(order: Order) -> Counter[int]:
    """Copies of each order line (by line id) refunded so far: those chosen line by line, and
    every copy left when the rest of the order was refunded."""
    counts: Counter[int] = Counter()
    for refund in refunds_of(order):
        if refund.stray:
            continue
        if refund.lines:
            for line_id, copies in refund.lines.items():
                counts[int(line_id)] += int(copies)
        else:
            for line in order.lines:
                counts[line.id] = line.quantity
    return counts


def paid_line_totals(order: Order) -> dict[int, int]:
    """What the buyer paid for each order line (line id -> cents): its price less what member
    deals and a promotion code took off it, and its sales tax."""
    deals = deal_orders.line_discounts(order.id) if order.discount_cents else {}
    codes = promo_orders.line_discounts(order.id) if order.promo_discount_cents else {}
    return {
        line.id: line.line_total_cents
        - deals.get(line.id, 0)
        - codes.get(line.id, 0)
        + line.tax_cents
        for line in order.lines
    }


def refund_amount(order: Order, copies: dict[int, int] | None) -> int:
    """Cents to refund: the chosen copies at the price paid for them (after deals and codes,
    with their sales tax, shared exactly over the line's copies), or the whole remainder."""
    remaining = order.total_cents - order.refunded_cents
    if copies is None:
        return remaining
    already = refunded_copies(order)
    by_id = {line.id: line for line in order.lines}
    paid = paid_line_totals(order)
    amount = 0
    for line_id, n in copies.items():
        line = by_id.get(line_id)
        if line is None:
            raise InvalidInput("That line is not part of this order.")
        if n < 0 or n > line.quantity - already[line_id]:
            left = line.quantity - already[line_id]
            raise InvalidInput(
                f"{line.title}: at most {left} more cop{'y' if left == 1 else 'ies'}."
            )
        # Copies already refunded took the first shares: n more take the next ones.
        before, quantity = already[line_id], line.quantity
        amount += paid[line_id] * (before + n) // quantity - paid[line_id] * before // quantity
    if amount <= 0:
        raise InvalidInput("Choose at least one copy to refund.")
    return min(amount, remaining)


def copies_tax(order: Order, copies: dict[int, int]) -> int:
    """The sales tax of the chosen copies, each line's shared over its copies as its price is
    (the copies already refunded took the first shares)."""
    already = refunded_copies(order)
    return sum(
        line.tax_cents * (already[line.id] + n) // line.quantity
        - line.tax_cents * already[line.id] // line.quantity
        for line in order.lines
        if (n := copies.get(line.id, 0))
    )


def check_refundable(order: Order) -> str:
    """The payment to refund; raises unless the order can be refunded now."""
    state = OrderState(order.state)
    if not state.is_refundable:
        raise InvalidTransition(f"An order that is {state.label.lower()} cannot be refunded.")
    if not order.stripe_payment_intent:
        raise InvalidInput("This order has no recorded payment to refund.")
    if order.refunded_cents >= order.total_cents:
        raise InvalidInput("Nothing is left to refund on this order.")
    return order.stripe_payment_intent


def refund_order(
    order: Order,
    *,
    copies: dict[int, int] | None,
    restock: bool,
    reason: str,
    actor: User,
) -> Refund:
    """Refund through Stripe, then record it: the order moves to (partly) refunded, the copies
    go back on the shelf if asked, and the buyer is emailed. Flushes; the caller commits."""
    intent = check_refundable(order)
    amount = refund_amount(order, copies)
    if amount <= 0:
        raise InvalidInput("Nothing is left to refund on this order.")
    before, source = order.refunded_cents, OrderState(order.state)
    restocked = _copies_to_restock(order, copies) if restock else {}
    lines_tax = copies_tax(order, copies) if copies is not None else None
    refund = gateway.create_refund(
        intent,
        amount,
        idempotency_key=f"refund-{order.reference}-{before}-{amount}",
        metadata={"order_id": str(order.id), "order_reference": order.reference},
    )
    total = before + amount
    row = Refund(
        order_id=order.id,
        stripe_refund_id=refund["id"],
        amount_cents=amount,
        lines={str(k): v for k, v in (copies or {}).items() if v},
        restocked=restock,
        reason=reason[:300],
        actor_id=actor.id,
    )
    db.session.add(row)
    try:
        # The refund's id is unique: of two staff refunding the same copies at once (the same
        # idempotency key, so the same Stripe refund), the second stops here.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidInput(
            "This refund was just made by someone else: reload the order to see it."
        ) from None
    target = OrderState.REFUNDED if total >= order.total_cents else OrderState.PARTIALLY_REFUNDED
    # Stripe's charge.refunded webhook may already have recorded this amount (and emailed the
    # buyer): then the guard fails, the order is left as the webhook set it, and only what
    # the webhook cannot know of is still done here: the restock staff asked for, and the
    # chosen copies' own sales tax in place of the amount's share the webhook gave back.
    moved = workflow.transition(
        order,
        target,
        actor=f"staff:{actor.id}",
        user_id=actor.id,
        note=f"Refunded {format_cents(amount, order.currency)} ({reason or 'no reason given'}).",
        source=source,
        guard=Order.refunded_cents == before,
        values={"refunded_cents": total},
        restock=restocked,
        refund_cents=amount,
        refund_tax_cents=lines_tax,
    )
    if not moved:
        effects.restock(order, restocked, actor_id=actor.id)
        if lines_tax is not None and target is OrderState.PARTIALLY_REFUNDED:
            tax.correct_refund(order, total, lines_tax)
    return row


def _copies_to_restock(order: Order, copies: dict[int, int] | None) -> dict[int, int]:
    """Printed copies going back on the shelf, per edition (edition id -> copies)."""
    chosen = copies if copies is not None else {line.id: line.quantity for line in order.lines}
    back: dict[int, int] = {}
    for line in order.lines:
        n = chosen.get(line.id, 0)
        if n and line.edition_id and line.format.is_physical:
            back[line.edition_id] = back.get(line.edition_id, 0) + n
    return back


def resolve_review(order: Order, *, accept: bool, note: str, actor: User) -> Refund | None:
    """Settle an order held for review: accept the payment (it becomes paid, with everything
    a payment brings), or cancel it and refund what was charged. Flushes; the caller commits."""
    if OrderState(order.state) is not OrderState.NEEDS_REVIEW:
        raise InvalidTransition("Only orders held for review can be resolved.")
    actor_label = f"staff:{actor.id}"
    if accept:
        workflow.require(
            order,
            OrderState.PAID,
            actor=actor_label,
            user_id=actor.id,
            note=note[:500],
            source=OrderState.NEEDS_REVIEW,
            values={"paid_at": order.paid_at or datetime.now(UTC)},
        )
        return None
    intent, reference, order_id = order.stripe_payment_intent, order.reference, order.id
    refund = None
    if intent:
        refund = gateway.create_refund(
            intent,
            None,
            idempotency_key=f"review-cancel-{reference}",
            metadata={"order_id": str(order_id), "reason": "cancelled after review"},
        )
    # Stripe's charge.refunded webhook leaves a cancelled order alone, so the refund is
    # recorded here. A held order may have been charged more than its total; the Refund row
    # keeps the exact amount, the order at most its total.
    values = {"refunded_cents": min(refund["amount"], order.total_cents)} if refund else {}
    workflow.require(
        order,
        OrderState.CANCELLED,
        actor=actor_label,
        user_id=actor.id,
        note=note[:500],
        source=OrderState.NEEDS_REVIEW,
        values=values,
    )
    if refund is None:
        return None
    row = Refund(
        order_id=order_id,
        stripe_refund_id=refund["id"],
        amount_cents=refund["amount"],
        reason="Cancelled after review",
        actor_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    return row
