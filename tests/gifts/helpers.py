"""Helpers for the gift tests: a gift checkout through the pages, paid at the stand-in."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from bookstore.catalog.models import Format
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.gifts import memberships
from bookstore.gifts.models import GiftMembership
from tests.checkout.shoppers import Buyer
from tests.staff.helpers import make_order

GIFT_FORM = {
    "gift-is_gift": "y",
    "gift-from_name": "Aunt Olga",
    "gift-message": "Happy birthday, Misha!\nRead it slowly.",
    "gift-wrap": "y",
    "gift-receipt_email": "misha@example.com",
    # The recipient's address, not the buyer's.
    "ship_name": "Misha Ivanov",
    "ship_line1": "12 Elm Street",
}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def gift_checkout(buyer: Buyer, stripe_sandbox, edition_id: int, **overrides) -> tuple[str, str]:
    """Check out ``edition_id`` as a gift and pay; returns (order reference, session id)."""
    done = buyer.checkout(edition_id, **{**GIFT_FORM, **overrides})
    paid = stripe_sandbox.pay(done.session_id)
    stripe_sandbox.wait_for_webhooks()
    buyer.client.get(path_of(paid.location))
    return done.reference, done.session_id


def make_sent_gift(email: str = "olga@example.com") -> str:
    """A paid gift membership for vera@example.com whose link was sent; returns its token.
    Writes in the current app context (the caller commits)."""
    token = secrets.token_urlsafe(32)
    order = make_order(3500, fmt=Format.EBOOK, email=email)
    now = utcnow()
    db.session.add(
        GiftMembership(
            order_id=order.id,
            buyer_email=email,
            recipient_email="vera@example.com",
            recipient_name="Vera",
            message="For your Russian lessons",
            price_cents=3500,
            token_hash=memberships._hash(token),
            sent_at=now,
            expires_at=now + timedelta(days=30),
        )
    )
    db.session.flush()
    return token
