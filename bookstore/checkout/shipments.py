"""Shipping: staff record the parcel, the order moves to shipped and the buyer is emailed;
until then staff may correct where it goes."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select, update

from bookstore.accounts.models import User
from bookstore.checkout import workflow
from bookstore.checkout.models import Order, Shipment
from bookstore.checkout.services import ShippingAddress
from bookstore.checkout.states import OrderState
from bookstore.database import rowcount
from bookstore.errors import InvalidInput, InvalidTransition
from bookstore.extensions import db


def shipment_of(order: Order) -> Shipment | None:
    """The order's parcel, once shipped."""
    return db.session.scalar(select(Shipment).where(Shipment.order_id == order.id))


def mark_shipped(order: Order, *, carrier: str, tracking: str, actor: User) -> Shipment:
    """Record the parcel and move the order to shipped (the email goes after the commit)."""
    carrier, tracking = carrier.strip(), tracking.strip()
    if not carrier:
        raise InvalidInput("Name the carrier.")
    source = OrderState(order.state)
    if not source.is_shippable:
        raise InvalidTransition(f"An order that is {source.label.lower()} cannot be shipped.")
    shipment = Shipment(
        order_id=order.id, carrier=carrier, tracking_number=tracking, shipped_by_id=actor.id
    )
    db.session.add(shipment)
    db.session.flush()
    workflow.require(
        order,
        OrderState.SHIPPED,
        actor=f"staff:{actor.id}",
        user_id=actor.id,
        source=source,
        shipment=shipment,
    )
    return shipment


def address_line(order: Order) -> str:
    """The order's shipping address on one line, for its history."""
    parts = [order.ship_name, order.ship_line1, order.ship_line2, order.ship_city]
    parts += [order.ship_region, order.ship_postal_code, order.ship_country]
    return ", ".join(part for part in parts if part)


def correct_address(order: Order, address: ShippingAddress, *, actor: User) -> str:
    """Change where an order's parcel goes, while it is still to be packed (a typo, a move).

    One conditional UPDATE: of a correction and the parcel's shipping at the same moment,
    the correction lands only if it came first; after it, InvalidTransition says so. The
    history keeps the address before and after. Returns the old address, on one line.
    """
    if not order.has_physical or not order.ship_line1:
        raise InvalidTransition("This order has no parcel: it has no address to correct.")
    before = address_line(order)
    values = {f"ship_{name}": value for name, value in asdict(address).items()}
    moved = db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.state.in_([state for state in OrderState if state.is_shippable]),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(moved) != 1:
        db.session.refresh(order)
        raise InvalidTransition(
            f"This order is {OrderState(order.state).label.lower()}: its address can no "
            "longer be changed."
        )
    db.session.refresh(order)
    workflow.note_event(
        order,
        actor=f"staff:{actor.id}",
        user_id=actor.id,
        note=f"Shipping address corrected from: {before}",
    )
    return before
