"""Staff operations on orders: find them, and ship, refund or resolve them through the orders
side (``bookstore.checkout``), with every action in the audit log."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from bookstore.accounts.models import User
from bookstore.catalog.isbn import normalise_isbn
from bookstore.checkout import emails, refunds, shipments
from bookstore.checkout.forms import country_phrase
from bookstore.checkout.models import Order, OrderLine, Refund, Shipment
from bookstore.checkout.services import ShippingAddress
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from bookstore.money import format_cents
from bookstore.shipping import services as shipping
from bookstore.shoptime import from_shop_time
from bookstore.staff.audit import record
from bookstore.tax import services as tax_services

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
    # Days are the shop's days (SHOP_TIMEZONE), as staff see them.
    if filters.since:
        query = query.where(
            Order.created_at >= from_shop_time(datetime.combine(filters.since, time.min))
        )
    if filters.until:
        end = from_shop_time(datetime.combine(filters.until + timedelta(days=1), time.min))
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


def mark_shipped(order: Order, *, carrier: str, tracking: str, actor: User) -> Shipment:
    """Record the parcel and move the order to shipped (the customer is emailed)."""
    source = OrderState(order.state)
    shipment = shipments.mark_shipped(order, carrier=carrier, tracking=tracking, actor=actor)
    record(
        actor,
        "order.ship",
        order,
        before={"state": source.value},
        after={"state": "shipped", "carrier": shipment.carrier, "tracking": tracking.strip()},
        summary=order.reference,
    )
    db.session.flush()
    return shipment


def correct_address(
    order: Order, address: ShippingAddress, *, actor: User, config: Mapping[str, Any]
) -> str:
    """Send the order's parcel to ``address`` instead (before it ships), in the history and
    the audit log; returns what staff should know about its sales tax and shipping ("" for
    nothing)."""
    was = shipping.tariff_for(order.ship_country, config)
    before = shipments.correct_address(order, address, actor=actor)
    record(
        actor,
        "order.address",
        order,
        before={"address": before},
        after={"address": shipments.address_line(order)},
        summary=order.reference,
    )
    db.session.flush()
    notes = [
        tax_services.moved_place_note(order, tax_services.Place(address.country, address.region)),
        _moved_shipping_note(order, was, shipping.tariff_for(address.country, config), address),
    ]
    return " ".join(note for note in notes if note)


def _moved_shipping_note(
    order: Order, was: shipping.Tariff, now: shipping.Tariff, address: ShippingAddress
) -> str:
    """When the new address's country has other shipping terms: the order keeps what it paid."""
    if (was.standard_cents, was.extra_copy_cents, was.express_cents, was.free_over_cents) == (
        now.standard_cents,
        now.extra_copy_cents,
        now.express_cents,
        now.free_over_cents,
    ):
        return ""
    currency = order.currency
    where = country_phrase(address.country.upper())
    return (
        f"The order paid {format_cents(order.shipping_cents, currency)} for "
        f"{order.shipping_method} shipping, which stays as it was; shipping to {where} costs "
        f"{shipping.describe(now, currency)}."
    )


def refund_order(
    order: Order,
    *,
    copies: dict[int, int] | None,
    restock: bool,
    reason: str,
    actor: User,
) -> Refund:
    """Refund through Stripe and record it (the customer is emailed), in the audit log."""
    before = {"refunded_cents": order.refunded_cents, "state": OrderState(order.state).value}
    row = refunds.refund_order(order, copies=copies, restock=restock, reason=reason, actor=actor)
    db.session.refresh(order)
    record(
        actor,
        "order.refund",
        order,
        before=before,
        after={
            "refunded_cents": order.refunded_cents,
            "state": OrderState(order.state).value,
            "restocked": restock,
        },
        summary=f"{order.reference}: {row.amount_cents} cents",
    )
    db.session.flush()
    return row


def resolve_review(order: Order, *, accept: bool, note: str, actor: User) -> None:
    """Settle an order held for review: accept the payment, or cancel and refund it."""
    refund = refunds.resolve_review(order, accept=accept, note=note, actor=actor)
    db.session.refresh(order)
    after: dict[str, str | int] = {"state": OrderState(order.state).value, "note": note[:200]}
    if refund is not None:
        after["refunded_cents"] = order.refunded_cents
    record(
        actor,
        "order.review",
        order,
        before={"state": "needs_review"},
        after=after,
        summary=order.reference,
    )
    db.session.flush()


def resend_confirmation(order: Order, *, actor: User) -> None:
    """Send the order confirmation (with its ebook links) again, e.g. to a lost inbox."""
    emails.queue_confirmation(order)
    record(actor, "order.resend_confirmation", order, summary=order.reference)
    db.session.flush()
