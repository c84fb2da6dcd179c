"""Shipping: staff record the parcel, the order moves to shipped and the buyer is emailed."""

from __future__ import annotations

from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.checkout import workflow
from bookstore.checkout.models import Order, Shipment
from bookstore.checkout.states import OrderState
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
