"""Checkout and the shopper's saved addresses (bookstore.addresses): prefill, pick, keep."""

from __future__ import annotations

from typing import Any

from bookstore.accounts.models import User
from bookstore.addresses import services as saved
from bookstore.addresses.models import SavedAddress
from bookstore.errors import BookstoreError, NotFound


def choices(user: User | None) -> list[SavedAddress]:
    """The addresses a signed-in shopper can pick at checkout (none for a guest)."""
    return saved.addresses_of(user) if user is not None else []


def prefill(details: dict[str, Any], user: User | None, picked: str) -> dict[str, Any]:
    """The checkout form's starting values: the address picked (``?address=<id>``), else
    the default address when nothing was entered yet."""
    if user is None:
        return details
    address = None
    if picked.isdigit() and len(picked) < 12:
        try:
            address = saved.address_of(user, int(picked))
        except NotFound:
            address = None
    elif not details.get("ship_line1"):
        address = saved.default_address(user)
    if address is None:
        return details
    return {**details, **saved.checkout_values(address)}


def keep_if_asked(details: dict[str, Any], user: User | None) -> None:
    """Save the checkout's address to the account when the shopper ticked the box."""
    if user is None or not details.get("save_address") or not details.get("ship_name"):
        return
    try:
        saved.save_address(user, saved.from_checkout(details))
    except BookstoreError:
        # A full address book is not a reason to stop a checkout.
        return
