"""A correction of the address racing the parcel's shipping, on PostgreSQL: the parcel never
ships to one address while the order says another."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bookstore.accounts.models import Role, User
from bookstore.checkout.models import Order, OrderEvent
from bookstore.checkout.services import ShippingAddress
from bookstore.checkout.shipments import correct_address, mark_shipped
from bookstore.checkout.states import OrderState
from bookstore.errors import InvalidTransition
from bookstore.extensions import db
from tests.factories import make_user
from tests.races import race
from tests.staff.helpers import make_order

pytestmark = pytest.mark.postgres
ROUNDS = 6
ALBANY = ShippingAddress("Anna Petrova", "12 State Street", "", "Albany", "NY", "12207", "US")


def test_a_correction_lands_before_the_parcel_ships_or_not_at_all(pg_app):
    with pg_app.app_context():
        packer_id = make_user("packer@example.com", role=Role.STAFF).id
        order_ids = []
        for _ in range(ROUNDS):
            order = make_order(2100)
            order.ship_name, order.ship_line1, order.ship_city = "Anna", "73 Main St", "Montpelier"
            order.ship_region, order.ship_postal_code, order.ship_country = "VT", "05602", "US"
            order_ids.append(order.id)
        db.session.commit()

    outcomes = []
    for order_id in order_ids:

        def work(n, order_id=order_id):
            order, packer = db.session.get(Order, order_id), db.session.get(User, packer_id)
            if n == 0:
                return mark_shipped(order, carrier="USPS", tracking="", actor=packer)
            return correct_address(order, ALBANY, actor=packer)

        outcomes.append(race(pg_app, 2, work))

    with pg_app.app_context():
        for order_id, (shipped, corrected) in zip(order_ids, outcomes, strict=True):
            assert not isinstance(shipped, Exception), shipped
            order = db.session.get(Order, order_id)
            assert order.state is OrderState.SHIPPED
            events = db.session.scalars(
                select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
            ).all()
            notes = [e.note for e in events]
            if isinstance(corrected, InvalidTransition):
                # Shipped first: the parcel went to the address the order still shows.
                assert order.ship_line1 == "73 Main St"
                assert not any("corrected" in note for note in notes)
            else:
                # Corrected first: the correction is in the history before the shipping.
                assert corrected.startswith("Anna, 73 Main St"), corrected
                assert order.ship_line1 == "12 State Street"
                states = [e.to_state for e in events]
                corrected_at = next(i for i, n in enumerate(notes) if "corrected" in n)
                assert states.index("shipped") > corrected_at
