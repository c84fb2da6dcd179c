"""Helpers for the gift tests: a gift checkout through the pages, paid at the stand-in."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.checkout.shoppers import Buyer

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
