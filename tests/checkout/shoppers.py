"""A buyer driving checkout through the shop's pages, and reading an order back.

Plain helpers for any test (checkout, deals, members, staff, jobs); the ``shop`` and ``buyer``
fixtures are in the plugin ``tests.fixtures.shop``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bookstore.checkout.models import Order
from bookstore.extensions import db
from tests.checkout.helpers import ADDRESS_FORM


@dataclass
class Checkout:
    """What a buyer's checkout produced: the order reference and the Stripe session."""

    reference: str
    session_id: str
    pay_url: str


class Buyer:
    """A shopper driving the shop through its pages with the Flask test client."""

    def __init__(self, app, client=None):
        self.app = app
        self.client = client or app.test_client()

    def add(self, edition_id: int, quantity: int = 1) -> None:
        response = self.client.post(
            "/cart/add", data={"edition_id": str(edition_id), "quantity": str(quantity)}
        )
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]

    def give_details(self, *, email="buyer@example.com", physical=True, **overrides):
        data = {"email": email, **(ADDRESS_FORM if physical else {}), **overrides}
        return self.client.post("/checkout", data=data)

    def review(self):
        return self.client.get("/checkout/review")

    def quote(self) -> str:
        page = self.review().get_data(as_text=True)
        match = re.search(r'name="quote" type="hidden" value="([^"]+)"', page) or re.search(
            r'id="quote" name="quote" type="hidden" value="([^"]+)"', page
        )
        assert match, page[:2000]
        return match.group(1)

    def place(self, **extra):
        return self.client.post("/checkout/place", data={"quote": self.quote(), **extra})

    def checkout(self, edition_id: int | None = None, quantity: int = 1, **details) -> Checkout:
        """Add (optionally), give details, review, place: the 303 to Stripe's page."""
        if edition_id is not None:
            self.add(edition_id, quantity)
        response = self.give_details(**details)
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        response = self.place()
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        location = response.headers["Location"]
        with self.app.app_context():
            order = db.session.query(Order).order_by(Order.id.desc()).first()
            assert order.stripe_session_id
            assert order.stripe_session_id in location
            return Checkout(order.reference, order.stripe_session_id, location)

    def follow(self, url: str):
        """GET a URL of the shop given in full (e.g. Stripe's redirect to the success page)."""
        parts = urlsplit(url)
        return self.client.get(parts.path + (f"?{parts.query}" if parts.query else ""))


def order_state(app, reference: str) -> Order:
    """The order as stored now (lines loaded)."""
    with app.app_context():
        order = db.session.query(Order).filter_by(reference=reference).one()
        _ = order.lines, order.events, order.download_links
        db.session.expunge_all()
        return order
