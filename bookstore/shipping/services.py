"""What shipping costs to where the parcel goes.

The shop's own country (``SHOP_COUNTRY``, default US) pays the SHIPPING_* settings: a flat
amount by standard shipping, free from a subtotal, a flat amount by express. Staff set what a
parcel to another country costs: by standard shipping for the first printed copy and for each
copy after it (parcels abroad are priced by weight), free from a subtotal or never, and by
express or not at all. A country with no rate of its own pays the rate for "everywhere else",
and without that one the shop's own terms.

Only an address abroad reads a rate, so the cart and a domestic checkout ask the database
nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bookstore.delivery import parse_day_range
from bookstore.errors import InvalidInput
from bookstore.extensions import db
from bookstore.money import format_cents
from bookstore.shipping.models import ShippingRate

RATE_FIELDS = [
    "standard_cents",
    "extra_copy_cents",
    "express_cents",
    "free_over_cents",
    "standard_days",
    "express_days",
]
# The longest transit staff may give, in business days.
MAX_DAYS = 90
# Shipping staff may set: more is a typo (5000 for 50.00).
MAX_CENTS = 100_000


@dataclass(frozen=True)
class Tariff:
    """What each method costs to one place."""

    standard_cents: int
    extra_copy_cents: int = 0
    express_cents: int | None = None  # None: no express there
    free_over_cents: int | None = None  # None: never free
    country: str = ""  # the country abroad it is for; "" for the shop's own
    # Business days in transit by method abroad ({"standard": "7-12"}); the shop's own
    # country's are settings (bookstore.delivery).
    days: tuple[tuple[str, str], ...] = ()

    def cost(self, method: str, subtotal_cents: int, copies: int) -> int | None:
        """Shipping by ``method`` for ``copies`` printed copies worth ``subtotal_cents``; None
        when the method does not go there."""
        extra = self.extra_copy_cents * max(copies - 1, 0)
        if method == "express":
            return None if self.express_cents is None else self.express_cents + extra
        if self.free_over_cents is not None and subtotal_cents >= self.free_over_cents:
            return 0
        return self.standard_cents + extra

    def methods(self) -> tuple[str, ...]:
        return ("standard",) if self.express_cents is None else ("standard", "express")


def home_country(config: Mapping[str, Any]) -> str:
    return str(config.get("SHOP_COUNTRY") or "US").upper()


def home_tariff(config: Mapping[str, Any]) -> Tariff:
    """The shop's own country's terms, from the settings."""
    threshold = config.get("FREE_SHIPPING_OVER_CENTS")
    return Tariff(
        standard_cents=int(config["SHIPPING_FLAT_CENTS"]),
        express_cents=int(config.get("SHIPPING_EXPRESS_CENTS", 1500)),
        free_over_cents=int(threshold) if threshold is not None and threshold >= 0 else None,
    )


def tariff_for(country: str | None, config: Mapping[str, Any]) -> Tariff:
    """The terms for a parcel to ``country`` (None or "": not known yet, the shop's own)."""
    country = (country or "").strip().upper()
    if not country or country == home_country(config):
        return home_tariff(config)
    rates = {
        rate.country: rate
        for rate in db.session.scalars(
            select(ShippingRate).where(ShippingRate.country.in_([country, ""]))
        )
    }
    rate = rates.get(country) or rates.get("")
    if rate is None:
        return home_tariff(config)
    return Tariff(
        standard_cents=rate.standard_cents,
        extra_copy_cents=rate.extra_copy_cents,
        express_cents=rate.express_cents,
        free_over_cents=rate.free_over_cents,
        country=country,
        days=tuple(
            (method, days)
            for method, days in (("standard", rate.standard_days), ("express", rate.express_days))
            if days and (method == "standard" or rate.express_cents is not None)
        ),
    )


def any_rates() -> bool:
    """Whether some country abroad has terms of its own (the cart page says so)."""
    return db.session.scalar(select(ShippingRate.id).limit(1)) is not None


# Staff: the rates.


@dataclass(frozen=True)
class RateSpec:
    country: str  # two letters, or "" for everywhere else
    standard_cents: int
    extra_copy_cents: int = 0
    express_cents: int | None = None
    free_over_cents: int | None = None
    standard_days: str = ""
    express_days: str = ""


def day_range(text: str, label: str) -> str:
    """``" 7 - 12 "`` -> ``"7-12"``, ``"10"`` -> ``"10"``, "" -> ""; InvalidInput names the
    field for anything else."""
    text = "".join(text.split())
    if not text:
        return ""
    try:
        low, high = parse_day_range(text)
    except ValueError:
        raise InvalidInput(
            f"{label}: give business days such as 7-12, or leave it empty."
        ) from None
    if not 0 < high <= MAX_DAYS:
        raise InvalidInput(f"{label}: give business days from 1 to {MAX_DAYS}.")
    return f"{low}-{high}" if low != high else str(high)


def set_rate(
    spec: RateSpec, *, config: Mapping[str, Any], actor_id: int | None
) -> tuple[ShippingRate, dict[str, Any] | None]:
    """Add the rate for the spec's country, or change the one it has; returns the rate and,
    for a change, its values before (None for a new one). Orders placed keep their shipping."""
    country = spec.country.strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise InvalidInput("Country: give its two-letter code, such as CA, or none for elsewhere.")
    if country == home_country(config):
        raise InvalidInput(
            f"Country: {country} is the shop's own; its shipping is set by SHIPPING_FLAT_CENTS, "
            "FREE_SHIPPING_OVER_CENTS and SHIPPING_EXPRESS_CENTS."
        )
    amounts = {
        "Standard shipping": spec.standard_cents,
        "Each copy after the first": spec.extra_copy_cents,
        "Express shipping": spec.express_cents,
        "Free from": spec.free_over_cents,
    }
    for label, cents in amounts.items():
        if cents is not None and not 0 <= cents <= MAX_CENTS:
            top = format_cents(MAX_CENTS)
            raise InvalidInput(f"{label}: give an amount from $0.00 to {top}.")
    standard_days = day_range(spec.standard_days, "Standard takes")
    express_days = day_range(spec.express_days, "Express takes")
    rate = find_rate(country)
    before = None if rate is None else {name: getattr(rate, name) for name in RATE_FIELDS}
    if rate is None:
        rate = ShippingRate(country=country)
        db.session.add(rate)
    rate.standard_cents, rate.extra_copy_cents = spec.standard_cents, spec.extra_copy_cents
    rate.express_cents, rate.free_over_cents = spec.express_cents, spec.free_over_cents
    rate.standard_days = standard_days
    rate.express_days = express_days if spec.express_cents is not None else ""
    rate.updated_by_id = actor_id
    db.session.flush()
    return rate, before


def find_rate(country: str) -> ShippingRate | None:
    return db.session.scalars(
        select(ShippingRate).where(ShippingRate.country == country.strip().upper())
    ).one_or_none()


def get_rate(rate_id: int) -> ShippingRate | None:
    return db.session.get(ShippingRate, rate_id)


def all_rates() -> list[ShippingRate]:
    """Every country's rate by its code, "everywhere else" last."""
    rates = db.session.scalars(select(ShippingRate).order_by(ShippingRate.country))
    return sorted(rates, key=lambda rate: (rate.country == "", rate.country))


def remove_rate(rate: ShippingRate) -> None:
    db.session.delete(rate)
    db.session.flush()


def describe(tariff: Tariff | ShippingRate, currency: str = "USD") -> str:
    """One line of terms: "$12.00, $2.00 each copy after the first; express $30.00; free
    from $100.00"."""
    first = format_cents(tariff.standard_cents, currency)
    if tariff.extra_copy_cents:
        first += f", {format_cents(tariff.extra_copy_cents, currency)} each copy after the first"
    standard_days, express_days = _days(tariff)
    if standard_days:
        first += f" ({standard_days} business days)"
    express = tariff.express_cents
    later = "no express" if express is None else f"express {format_cents(express, currency)}"
    if express is not None and express_days:
        later += f" ({express_days} business days)"
    parts = [first, later]
    if tariff.free_over_cents is not None:
        parts.append(f"free from {format_cents(tariff.free_over_cents, currency)}")
    return "; ".join(parts)


def _days(tariff: Tariff | ShippingRate) -> tuple[str, str]:
    if isinstance(tariff, ShippingRate):
        return tariff.standard_days, tariff.express_days
    days = dict(tariff.days)
    return days.get("standard", ""), days.get("express", "")
