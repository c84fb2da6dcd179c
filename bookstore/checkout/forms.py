"""Checkout forms. None of them carries a price: every amount is computed by the server."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import (
    BooleanField,
    EmailField,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, ValidationError

from bookstore.accounts.forms import name_field, new_password_fields
from bookstore.checkout.services import ShippingAddress
from bookstore.gifts.forms import GiftOptionsForm
from bookstore.tax.services import Place

COUNTRIES = [
    ("US", "United States"),
    ("CA", "Canada"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("AU", "Australia"),
    ("NZ", "New Zealand"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
    ("BE", "Belgium"),
    ("DK", "Denmark"),
    ("SE", "Sweden"),
    ("NO", "Norway"),
    ("FI", "Finland"),
    ("EE", "Estonia"),
    ("LV", "Latvia"),
    ("LT", "Lithuania"),
    ("PL", "Poland"),
    ("CZ", "Czechia"),
    ("AT", "Austria"),
    ("CH", "Switzerland"),
    ("IT", "Italy"),
    ("ES", "Spain"),
    ("PT", "Portugal"),
    ("IL", "Israel"),
    ("JP", "Japan"),
]
COUNTRY_NAMES = dict(COUNTRIES)
# Names that take "the" in a sentence ("to the United Kingdom").
_WITH_THE = {"US", "GB", "NL"}


def country_phrase(code: str) -> str:
    """A country as a sentence names it: "the United States", "Japan"."""
    name = COUNTRY_NAMES.get(code, code)
    return f"the {name}" if code in _WITH_THE else name


# Countries whose addresses need a state or province.
REGION_REQUIRED = {"US", "CA", "AU"}
POSTAL_PATTERNS = {
    "US": (r"\d{5}(-\d{4})?", "a ZIP code such as 05602 or 05602-1234"),
    "CA": (r"[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d", "a postal code such as K1A 0B1"),
    "GB": (r"[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}", "a postcode such as SW1A 1AA"),
}
GENERIC_POSTAL = (r"[A-Za-z0-9][A-Za-z0-9 -]{1,10}", "a postal code of 2 to 11 letters or digits")


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


def _text(label: str, *, required: bool = True, max_length: int = 100, autocomplete: str = ""):
    # No Optional() for the others: it would stop the chain before the form's own checks.
    validators = [InputRequired(f"Enter the {label.lower()}.")] if required else []
    validators.append(Length(max=max_length, message=f"At most {max_length} characters."))
    return StringField(
        label,
        filters=[_strip],
        validators=validators,
        render_kw={"maxlength": max_length, "autocomplete": autocomplete or "on"},
    )


class AddressFields(FlaskForm):
    """A postal address, as checkout and the saved addresses of an account ask for it."""

    ship_name = _text("Full name", max_length=120, autocomplete="shipping name")
    ship_line1 = _text("Address line 1", max_length=200, autocomplete="shipping address-line1")
    ship_line2 = _text(
        "Address line 2 (optional)",
        required=False,
        max_length=200,
        autocomplete="shipping address-line2",
    )
    ship_city = _text("City or town", autocomplete="shipping address-level2")
    ship_region = _text(
        "State, province or region",
        required=False,
        autocomplete="shipping address-level1",
    )
    ship_postal_code = _text("Postal code", max_length=20, autocomplete="shipping postal-code")
    ship_country = SelectField(
        "Country",
        choices=[SelectChoice(code, name) for code, name in COUNTRIES],
        default="US",
        validators=[InputRequired("Choose a country.")],
        render_kw={"autocomplete": "shipping country"},
    )

    def validate_ship_region(self, field) -> None:
        if self.ship_country.data in REGION_REQUIRED and not field.data:
            raise ValidationError("Enter the state, province or region.")

    def validate_ship_postal_code(self, field) -> None:
        pattern, example = POSTAL_PATTERNS.get(self.ship_country.data, GENERIC_POSTAL)
        if not re.fullmatch(pattern, field.data or ""):
            raise ValidationError(f"Enter {example}.")


class CheckoutDetailsForm(AddressFields):
    """Email, and for printed books the shipping address and method."""

    email = EmailField(
        "Email for the receipt",
        filters=[_strip],
        validators=[
            InputRequired("Enter your email address for the receipt."),
            Length(max=254, message="That email address is too long."),
            Email("Enter a valid email address, like name@example.com."),
        ],
        render_kw={"autocomplete": "email", "maxlength": 254},
    )
    shipping_method = RadioField(
        "Shipping",
        choices=[SelectChoice("standard", "Standard"), SelectChoice("express", "Express")],
        default="standard",
        validators=[InputRequired("Choose a shipping method.")],
    )

    # Signed-in shoppers only (bookstore.addresses).
    save_address = BooleanField("Save this address to my account for next time")
    # "This is a gift" (bookstore.gifts): printed books only.
    gift = FormField(GiftOptionsForm, label="Gift options")
    # Guests only (bookstore/alerts/reminders.py): one reminder if the cart is left unfinished.
    cart_reminder = BooleanField("Email me once if I leave my cart unfinished")

    # -- promotion code and the signed quote (the summary beside the form) ---------------
    # The code field sits in the order summary and belongs to this form by its ``form``
    # attribute; ``quote`` is the signed quote the summary shows, checked when paying.
    code = StringField(
        "Promotion code",
        filters=[_strip],
        validators=[Length(max=60, message="A code has at most 40 letters or digits.")],
        render_kw={"maxlength": 60, "autocomplete": "off", "form": "co-details"},
    )
    quote = HiddenField()

    ADDRESS_FIELDS = (
        "ship_name",
        "ship_line1",
        "ship_line2",
        "ship_city",
        "ship_region",
        "ship_postal_code",
        "ship_country",
        "shipping_method",
    )

    def __init__(
        self,
        *args,
        physical: bool = True,
        shipping_labels=None,
        can_save_address: bool = False,
        wrap_label: str | None = None,
        asks_home: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.physical = physical
        # Ebooks alone, in a shop that taxes ebooks somewhere: where the buyer lives decides
        # their sales tax, so the country and region stay (bookstore.tax).
        self.asks_home = asks_home and not physical
        if not physical or not can_save_address:
            delattr(self, "save_address")
        if not physical:
            kept = ("ship_country", "ship_region") if self.asks_home else ()
            for name in (*self.ADDRESS_FIELDS, "gift"):
                if name not in kept:
                    delattr(self, name)
            if self.asks_home:
                self.ship_country.label.text = "Country you live in"
                self.ship_country.render_kw = {"autocomplete": "country"}
                self.ship_region.label.text = "State or province"
                self.ship_region.render_kw = {"maxlength": 100, "autocomplete": "address-level1"}
            return
        if wrap_label is None:
            del self.gift.form.wrap
        else:
            self.gift.form.wrap.label.text = wrap_label
        if shipping_labels:
            self.shipping_method.choices = [SelectChoice(v, t) for v, t in shipping_labels.items()]

    def details(self) -> dict:
        """The submitted details as plain values, to keep in the session until payment."""
        data = {"email": self.email.data.lower()}
        if self.asks_home:
            data["tax_country"] = self.ship_country.data or ""
            data["tax_region"] = self.ship_region.data or ""
        if self.physical:
            for name in self.ADDRESS_FIELDS:
                data[name] = getattr(self, name).data or ""
            data["ship_postal_code"] = data["ship_postal_code"].upper()
            data["gift"] = self.gift.form.choice()
            data["save_address"] = bool(self.save_address.data) if self.save_address else False
        return data


class CheckoutWithAccountForm(CheckoutDetailsForm):
    """The details form of a visitor who is not logged in but buys a membership, which
    belongs to an account: the account is made here, with the email above."""

    account_name = name_field()
    password, confirm = new_password_fields()


def address_from(details: dict) -> ShippingAddress | None:
    """The shipping address kept in ``details``, or None for an ebooks-only checkout."""
    if not details.get("ship_name"):
        return None
    return ShippingAddress(
        name=details["ship_name"],
        line1=details["ship_line1"],
        line2=details.get("ship_line2", ""),
        city=details["ship_city"],
        region=details.get("ship_region", ""),
        postal_code=details["ship_postal_code"],
        country=details["ship_country"],
    )


def parcel_place(details: Mapping[str, Any]) -> Place | None:
    """Where the parcel goes as far as ``details`` (entered or saved) say: the country and
    region its sales tax depends on, or None before an address is given."""
    if not details.get("ship_line1") or not details.get("ship_country"):
        return None
    return Place(str(details["ship_country"]), str(details.get("ship_region") or ""))


def home_place(details: Mapping[str, Any]) -> Place | None:
    """Where an ebook buyer said they live (their ebooks' sales tax), or None."""
    if not details.get("tax_country"):
        return None
    return Place(str(details["tax_country"]), str(details.get("tax_region") or ""))


class PlaceOrderForm(FlaskForm):
    """The final "Pay" button. ``quote`` is the signed quote the shopper reviewed: the server
    checks it, and never takes an amount from the form."""

    quote = HiddenField(validators=[InputRequired()])


@dataclass(frozen=True)
class ReviewedQuote:
    """What the review page showed: the quote's digest and its total."""

    fingerprint: str
    total_cents: int
    currency: str


def _quote_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="bookstore.quote")


def quote_token(quote) -> str:
    """The review page's signed quote (its digest, total and currency)."""
    return _quote_serializer().dumps([quote.fingerprint, quote.total_cents, quote.currency])


def quote_from_token(token: str, max_age: int = 24 * 3600) -> ReviewedQuote | None:
    """The quote a review page showed, or None for a forged, old or malformed token."""
    try:
        fingerprint, total, currency = _quote_serializer().loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(fingerprint, str) and isinstance(total, int) and isinstance(currency, str)):
        return None
    return ReviewedQuote(fingerprint, total, currency)


class ActionForm(FlaskForm):
    """An empty form, for CSRF-checked POST buttons (retry payment)."""
