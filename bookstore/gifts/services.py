"""Gift rules: the wrap price, an order's gift options, and their Stripe line items.

Gift memberships (to claim through a link) are in ``memberships.py``. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.gifts.models import GiftMembership, GiftSettings, OrderGift
from bookstore.money import format_cents

SETTINGS_ID = 1
MAX_WRAP_CENTS = 10_000
WRAP_PRODUCT = "Gift wrap"
MEMBERSHIP_PRODUCT = "Gift: a year of membership"


@dataclass(frozen=True)
class WrapOffer:
    """Whether gift wrap is offered, and its price in cents."""

    enabled: bool
    cents: int


@dataclass(frozen=True)
class GiftChoice:
    """What the shopper chose under "This is a gift" (kept in the session until payment)."""

    from_name: str = ""
    message: str = ""
    wrap: bool = False
    receipt_email: str = ""

    @classmethod
    def from_details(cls, details: Mapping[str, Any]) -> GiftChoice | None:
        """The gift part of the checkout details, or None when the order is not a gift."""
        gift = details.get("gift")
        if not isinstance(gift, Mapping) or not gift.get("is_gift"):
            return None
        return cls(
            from_name=str(gift.get("from_name") or "")[:120],
            message=str(gift.get("message") or "")[:500],
            wrap=bool(gift.get("wrap")),
            receipt_email=str(gift.get("receipt_email") or "")[:254].lower(),
        )


def wrap_offer(config: Mapping[str, Any] | None = None) -> WrapOffer:
    """Gift wrap as staff set it (else ``GIFT_WRAP_DEFAULT_CENTS``, offered)."""
    settings = db.session.get(GiftSettings, SETTINGS_ID)
    if settings is None:
        config = config if config is not None else current_app.config
        return WrapOffer(True, int(config.get("GIFT_WRAP_DEFAULT_CENTS", 500)))
    return WrapOffer(settings.wrap_enabled, settings.wrap_cents)


def wrap_label() -> str | None:
    """The checkout's gift wrap choice ("Gift wrap (+$5.00)"), or None when not offered."""
    offer = wrap_offer()
    if not offer.enabled:
        return None
    price = format_cents(offer.cents, current_app.config.get("CURRENCY", "USD"))
    return f"Gift wrap (+{price})" if offer.cents else "Gift wrap (free)"


def save_wrap_offer(actor: User, *, enabled: bool, cents: int) -> tuple[GiftSettings, dict]:
    """Staff set the gift wrap price (integer cents); returns the row and what it was."""
    if not isinstance(cents, int) or cents < 0 or cents > MAX_WRAP_CENTS:
        raise InvalidInput(f"The gift wrap price must be between 0 and {MAX_WRAP_CENTS} cents.")
    before = wrap_offer()
    settings = db.session.get(GiftSettings, SETTINGS_ID)
    if settings is None:
        settings = GiftSettings(id=SETTINGS_ID, wrap_cents=cents)
        db.session.add(settings)
    settings.wrap_enabled = enabled
    settings.wrap_cents = cents
    settings.updated_by_id = actor.id
    db.session.flush()
    return settings, {"wrap_enabled": before.enabled, "wrap_cents": before.cents}


def wrap_cents_for(choice: GiftChoice | None, has_physical: bool) -> int:
    """What gift wrap adds to a checkout: the price of the day, for printed books only."""
    if choice is None or not choice.wrap or not has_physical:
        return 0
    offer = wrap_offer()
    if not offer.enabled:
        raise InvalidInput("Gift wrap is not offered at the moment: untick it to go on.")
    return offer.cents


def attach_gift(order: Any, choice: GiftChoice | None, *, wrap_cents: int) -> OrderGift | None:
    """Record the order's gift options (being placed); nothing for an order not a gift."""
    if choice is None:
        return None
    gift = OrderGift(
        order_id=order.id,
        from_name=choice.from_name,
        message=choice.message,
        wrap=wrap_cents > 0 or (choice.wrap and order.shipping_method != "none"),
        wrap_cents=wrap_cents,
        receipt_email=choice.receipt_email,
    )
    db.session.add(gift)
    db.session.flush()
    return gift


def gift_of(order: Any) -> OrderGift | None:
    """The order's gift options, if it is a gift."""
    return db.session.get(OrderGift, order.id)


def gift_line_items(order: Any) -> list[dict[str, Any]]:
    """The Stripe line items gifts add to an order: the wrap, a gift membership."""
    currency = order.currency.lower()
    items = []
    gift = gift_of(order)
    if gift is not None and gift.wrap_cents:
        items.append(_item(currency, gift.wrap_cents, WRAP_PRODUCT))
    given = db.session.scalar(select(GiftMembership).where(GiftMembership.order_id == order.id))
    if given is not None:
        items.append(_item(currency, given.price_cents, MEMBERSHIP_PRODUCT))
    return items


def _item(currency: str, cents: int, name: str) -> dict[str, Any]:
    return {
        "quantity": 1,
        "price_data": {"currency": currency, "unit_amount": cents, "product_data": {"name": name}},
    }


def _receipt_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="bookstore.gift-receipt")


def gift_receipt_token(order: Any) -> str:
    """The signed token of an order's gift receipt link (no prices behind it)."""
    return _receipt_serializer().dumps(order.reference)


def reference_from_receipt_token(token: str) -> str:
    """The order reference of a gift receipt link; NotFound for anything forged."""
    try:
        reference = _receipt_serializer().loads(token)
    except BadSignature:
        raise NotFound("No such gift receipt.") from None
    if not isinstance(reference, str):
        raise NotFound("No such gift receipt.")
    return reference
