"""Builders for checkout tests: carts, placed orders. Plain functions that flush, never commit."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app

from bookstore.cart.models import Cart, CartLine
from bookstore.catalog.models import Edition
from bookstore.checkout import services
from bookstore.checkout.models import Order
from bookstore.dbtypes import utcnow
from bookstore.extensions import db

ADDRESS = services.ShippingAddress(
    name="Anna Petrova",
    line1="73 Main Street",
    line2="Suite 402",
    city="Montpelier",
    region="VT",
    postal_code="05602",
    country="US",
)

ADDRESS_FORM = {
    "ship_name": ADDRESS.name,
    "ship_line1": ADDRESS.line1,
    "ship_line2": ADDRESS.line2,
    "ship_city": ADDRESS.city,
    "ship_region": ADDRESS.region,
    "ship_postal_code": ADDRESS.postal_code,
    "ship_country": ADDRESS.country,
    "shipping_method": "standard",
}


def make_cart(*items: tuple[Edition, int], user=None) -> Cart:
    """A cart holding ``(edition, quantity)`` items at today's prices."""
    cart = Cart(token=secrets.token_urlsafe(32), user_id=user.id if user else None)
    db.session.add(cart)
    db.session.flush()
    for edition, quantity in items:
        db.session.add(
            CartLine(
                cart_id=cart.id,
                edition_id=edition.id,
                quantity=quantity,
                price_seen_cents=edition.price_cents,
            )
        )
    db.session.flush()
    db.session.refresh(cart)
    return cart


def place(
    cart: Cart,
    *,
    user=None,
    email: str = "anna@example.com",
    method: str = "standard",
    now: datetime | None = None,
) -> Order:
    """Place an order for the whole cart (printed books shipped to ADDRESS)."""
    return services.place_order(
        cart,
        user=user,
        email=email,
        shipping_method=method,
        address=ADDRESS,
        now=now or utcnow(),
        config=current_app.config,
    )


def edition_counts(edition_id: int) -> tuple[int, int]:
    """(on_hand, reserved) as stored now."""
    db.session.expire_all()
    edition = db.session.get(Edition, edition_id)
    return edition.on_hand, edition.reserved
