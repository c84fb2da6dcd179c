"""The gift receipt email: sent to the recipient when a gift parcel ships (no prices)."""

from __future__ import annotations

from typing import Any

from bookstore.gifts.services import gift_of, gift_receipt_token
from bookstore.links import external_url
from bookstore.mail import send_after_commit


def gift_receipt_url(order: Any) -> str:
    """The gift receipt page of an order (a signed link; it shows no prices)."""
    return external_url("gifts.receipt", token=gift_receipt_token(order))


def queue_gift_receipt(order: Any) -> None:
    """Tell the recipient a gift is on its way, with the message and the gift receipt."""
    gift = gift_of(order)
    if gift is None or not gift.receipt_email:
        return
    send_after_commit(
        gift.receipt_email,
        "A gift is on its way to you",
        "gift_receipt",
        order=order,
        gift=gift,
        receipt_url=gift_receipt_url(order),
    )
