"""Staff operations on orders: find, ship, refund through Stripe, resolve held orders."""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from bookstore.accounts.models import User
from bookstore.catalog import stock
from bookstore.catalog.isbn import normalise_isbn
from bookstore.checkout import gateway
from bookstore.checkout.fulfilment import deliver_paid_order
from bookstore.checkout.models import Order, OrderLine
from bookstore.checkout.services import move_order
from bookstore.checkout.states import OrderState
from bookstore.errors import InvalidInput, InvalidTransition
from bookstore.extensions import db
from bookstore.mail import send_after_commit
from bookstore.staff.audit import record
from bookstore.staff.models import Refund, Shipment

REFUNDABLE = (OrderState.PAID, OrderState.SHIPPED, OrderState.PARTIALLY_REFUNDED)
SHIPPABLE = (OrderState.PAID, OrderState.PARTIALLY_REFUNDED)
# Staff pages name an order by the first 8 characters of its reference, in capitals.
SHORT_REFERENCE = 8


@dataclass(frozen=True)
class OrderFilters:
    state: OrderState | None = None
    since: date | None = None
    until: date | None = None
    customer: str | None = None
    isbn: str | None = None


def order_list_query(filters: OrderFilters):
    """Orders matching the filters, newest first, lines loaded in one more query."""
    query = (
        select(Order).options(selectinload(Order.lines)).order_by(Order.created_at.desc(), Order.id)
    )
    if filters.state:
        query = query.where(Order.state == filters.state)
    if filters.since:
        query = query.where(Order.created_at >= datetime.combine(filters.since, time.min, UTC))
    if filters.until:
        end = datetime.combine(filters.until + timedelta(days=1), time.min, UTC)
        query = query.where(Order.created_at < end)
    if filters.customer:
        needle = filters.customer.strip().lower()
        matches = [func.lower(Order.email).contains(needle, autoescape=True)]
        if len(needle) >= SHORT_REFERENCE:
            # References are mixed-case and pages show their first letters in capitals, so
            # match a whole reference or that short code whatever its case.
            matches.append(func.lower(Order.reference).startswith(needle, autoescape=True))
        query = query.where(or_(*matches))
    if filters.isbn:
        query = query.where(
            Order.id.in_(
                select(OrderLine.order_id).where(OrderLine.isbn13 == normalise_isbn(filters.isbn))
            )
        )
    return query


def get_order(reference: str) -> Order | None:
    return db.session.scalar(
        select(Order)
        .where(Order.reference == reference)
        .options(selectinload(Order.lines), selectinload(Order.events))
    )


def shipment_of(order: Order) -> Shipment | None:
    return db.session.scalar(select(Shipment).where(Shipment.order_id == order.id))


def refunds_of(order: Order) -> list[Refund]:
    return list(
        db.session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id))
    )


def mark_shipped(order: Order, *, carrier: str, tracking: str, actor: User) -> Shipment:
    """Record the parcel, move the order to shipped and email the customer after the commit."""
    carrier, tracking = carrier.strip(), tracking.strip()
    if not carrier:
        raise InvalidInput("Name the carrier.")
    source = OrderState(order.state)
    if source not in SHIPPABLE:
        raise InvalidTransition(f"An order that is {source.label.lower()} cannot be shipped.")
    if not move_order(order, source, OrderState.SHIPPED, actor="staff", user_id=actor.id):
        raise InvalidTransition("The order changed meanwhile; reload and try again.")
    shipment = Shipment(
        order_id=order.id, carrier=carrier, tracking_number=tracking, shipped_by_id=actor.id
    )
    db.session.add(shipment)
    record(
        actor,
        "order.ship",
        order,
        before={"state": source.value},
        after={"state": "shipped", "carrier": carrier, "tracking": tracking},
        summary=order.reference,
    )
    db.session.flush()
    send_after_commit(
        order.email,
        f"Your order {order.reference[:8].upper()} is on its way",
        "order_shipped",
        order=order,
        carrier=carrier,
        tracking=tracking,
    )
    return shipment


def refunded_copies(order: Order) -> Counter:
    """Copies of each order line already refunded line by line."""
    counts: Counter = Counter()
    for refund in refunds_of(order):
        for line_id, copies in (refund.lines or {}).items():
            counts[int(line_id)] += int(copies)
    return counts


def refund_amount(order: Order, copies: dict[int, int] | None) -> int:
    """Cents to refund: the chosen copies at their paid price, or the whole remainder."""
    remaining = order.total_cents - order.refunded_cents
    if copies is None:
        return remaining
    already = refunded_copies(order)
    by_id = {line.id: line for line in order.lines}
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
        amount += line.unit_price_cents * n
    if amount <= 0:
        raise InvalidInput("Choose at least one copy to refund.")
    return min(amount, remaining)


def refund_order(
    order: Order,
    *,
    copies: dict[int, int] | None,
    restock: bool,
    reason: str,
    actor: User,
) -> Refund:
    """Refund through Stripe (idempotently) and record it; optionally put copies back in stock.

    The idempotency key is built from the order and how much was refunded before, so a
    double-clicked or retried refund reaches Stripe as the same request and pays out once.
    """
    source = OrderState(order.state)
    if source not in REFUNDABLE:
        raise InvalidTransition(f"An order that is {source.label.lower()} cannot be refunded.")
    if not order.stripe_payment_intent:
        raise InvalidInput("This order has no recorded payment to refund.")
    amount = refund_amount(order, copies)
    if amount <= 0:
        raise InvalidInput("Nothing is left to refund on this order.")
    before = order.refunded_cents
    refund = gateway.create_refund(
        order.stripe_payment_intent,
        amount,
        idempotency_key=f"refund-{order.reference}-{before}-{amount}",
        metadata={"order_id": str(order.id), "order_reference": order.reference},
    )
    total = before + amount
    target = OrderState.REFUNDED if total >= order.total_cents else OrderState.PARTIALLY_REFUNDED
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
    # Stripe's charge.refunded webhook may already have recorded this amount: then the guard
    # fails and the order is left as the webhook set it.
    move_order(
        order,
        source,
        target,
        actor="staff",
        user_id=actor.id,
        note=f"Refunded {amount} {order.currency} ({reason or 'no reason given'}).",
        guard=Order.refunded_cents == before,
        refunded_cents=total,
    )
    if restock:
        _restock(order, copies, actor)
    record(
        actor,
        "order.refund",
        order,
        before={"refunded_cents": before, "state": source.value},
        after={"refunded_cents": total, "state": target.value, "restocked": restock},
        summary=f"{order.reference}: {amount} cents",
    )
    db.session.flush()
    return row


def _restock(order: Order, copies: dict[int, int] | None, actor: User) -> None:
    lines = {line.id: line for line in order.lines}
    chosen = copies if copies is not None else {line.id: line.quantity for line in order.lines}
    for line_id, n in sorted(chosen.items()):
        line = lines[line_id]
        if n and line.edition_id and line.format.is_physical:
            stock.adjust_stock(
                line.edition_id,
                n,
                reason="return",
                actor_id=actor.id,
                note=f"Refund of order {order.reference[:8].upper()}",
            )


def resolve_review(order: Order, *, accept: bool, note: str, actor: User) -> None:
    """Settle an order held for review: accept the payment, or cancel and refund it."""
    if OrderState(order.state) is not OrderState.NEEDS_REVIEW:
        raise InvalidTransition("Only orders held for review can be resolved.")
    refund = None
    if accept:
        stock.commit_sale(order.id, actor_id=actor.id)
        target = OrderState.PAID
        values = {"paid_at": order.paid_at or datetime.now(UTC)}
    else:
        stock.release_order_stock(order.id)
        target = OrderState.CANCELLED
        values = {}
        if order.stripe_payment_intent:
            refund = gateway.create_refund(
                order.stripe_payment_intent,
                None,
                idempotency_key=f"review-cancel-{order.reference}",
                metadata={"order_id": str(order.id), "reason": "cancelled after review"},
            )
            # Stripe's charge.refunded webhook leaves a cancelled order alone, so the refund
            # is recorded here. A held order may have been charged more than its total; the
            # Refund row keeps the exact amount, the order at most its total.
            values["refunded_cents"] = min(refund["amount"], order.total_cents)
    if not move_order(
        order,
        OrderState.NEEDS_REVIEW,
        target,
        actor="staff",
        user_id=actor.id,
        note=note[:500],
        **values,
    ):
        raise InvalidTransition("The order changed meanwhile; reload and try again.")
    if accept:
        # The email, ebook links and emptied cart a payment normally brings.
        db.session.expire(order)
        deliver_paid_order(order, now=values["paid_at"])
    after = {"state": target.value, "note": note[:200]}
    if refund is not None:
        db.session.add(
            Refund(
                order_id=order.id,
                stripe_refund_id=refund["id"],
                amount_cents=refund["amount"],
                reason="Cancelled after review",
                actor_id=actor.id,
            )
        )
        after["refunded_cents"] = values["refunded_cents"]
    record(
        actor,
        "order.review",
        order,
        before={"state": "needs_review"},
        after=after,
        summary=order.reference,
    )
    db.session.flush()
