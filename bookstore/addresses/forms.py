"""The saved address form (the same fields and rules as checkout's) and its buttons."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField

from bookstore.checkout.forms import AddressFields


class AddressForm(AddressFields):
    """Add or change a saved address."""

    make_default = BooleanField("Use this address by default at checkout")

    def values(self) -> dict[str, str]:
        """The submitted address as plain values."""
        names = ("name", "line1", "line2", "city", "region", "postal_code", "country")
        return {name: getattr(self, f"ship_{name}").data or "" for name in names}


class AddressActionForm(FlaskForm):
    """An empty form, for the CSRF-checked delete and make-default buttons."""
