"""Sales tax: which rate applies to an address, and what an order owes.

Staff keep one rate per place the shop must collect tax for (a US state, a Canadian
province, a whole country). An order shipped there owes the rate on what its printed books
cost after member deals and codes, on their gift wrap, and -- where the rate says so -- on
its ebooks and shipping. Each line's tax is rounded on its own (half up), so a refund of a
line's copies gives back their share of it. An order with no printed book has no shipping
address: checkout asks its buyer where they live (for shops that tax ebooks anywhere), and
that place's rate applies to the ebooks. Memberships are never taxed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.money import format_cents
from bookstore.tax.models import RATE_SCALE, TaxRate, TaxRefund

# The highest rate staff may set: no sales tax comes near it, a typo (60 for 6) would.
MAX_RATE = 30_000

US_STATES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL",
    "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA",
    "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI",
    "MINNESOTA": "MN", "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT",
    "NEBRASKA": "NE", "NEVADA": "NV", "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ",
    "NEW MEXICO": "NM", "NEW YORK": "NY", "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND",
    "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR", "PENNSYLVANIA": "PA",
    "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD", "TENNESSEE": "TN",
    "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA", "WASHINGTON": "WA",
    "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY", "PUERTO RICO": "PR",
    "GUAM": "GU", "US VIRGIN ISLANDS": "VI", "AMERICAN SAMOA": "AS",
    "NORTHERN MARIANA ISLANDS": "MP",
}  # fmt: skip
CANADIAN_PROVINCES = {
    "ALBERTA": "AB", "BRITISH COLUMBIA": "BC", "MANITOBA": "MB", "NEW BRUNSWICK": "NB",
    "NEWFOUNDLAND AND LABRADOR": "NL", "NOVA SCOTIA": "NS", "ONTARIO": "ON",
    "PRINCE EDWARD ISLAND": "PE", "QUEBEC": "QC", "SASKATCHEWAN": "SK",
    "NORTHWEST TERRITORIES": "NT", "NUNAVUT": "NU", "YUKON": "YT",
}  # fmt: skip
REGION_NAMES = {"US": US_STATES, "CA": CANADIAN_PROVINCES}


def normalise_region(country: str, region: str) -> str:
    """A region as rates are kept: upper case, single spaces, no dots, and for the United
    States and Canada the two-letter code ("Vermont", "vt" and "V.T." are all "VT")."""
    text = " ".join(region.replace(".", "").replace("&", " AND ").upper().split())
    return REGION_NAMES.get(country.upper(), {}).get(text, text)


def parse_rate(text: str) -> int:
    """A typed percentage ("6", "6.25%", "8.875") as thousandths of a percent."""
    cleaned = str(text).strip().removesuffix("%").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInput(f"Rate: {text!r} is not a percentage, such as 6 or 8.875.") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.001")):
        raise InvalidInput("Rate: use at most three decimals, such as 8.875.")
    rate = int(value * 1000)
    if not 0 < rate <= MAX_RATE:
        raise InvalidInput(f"Rate: give a percentage above 0 and at most {MAX_RATE // 1000}.")
    return rate


def rate_label(rate: int) -> str:
    """Thousandths of a percent as people write the rate: 6000 -> "6%", 8875 -> "8.875%"."""
    return f"{(Decimal(rate) / 1000).normalize():f}%"


def tax_on(cents: int, rate: int) -> int:
    """The tax on ``cents`` at ``rate``, rounded half up to a whole cent."""
    return (cents * rate * 2 + RATE_SCALE) // (RATE_SCALE * 2) if cents > 0 else 0


@dataclass(frozen=True)
class TaxQuote:
    """What an order owes: each book line's tax (by edition id), the tax on its shipping and
    wrap, and the label the shopper sees ("Vermont sales tax (6%)")."""

    label: str = ""
    line_cents: dict[int, int] = field(default_factory=dict)
    other_cents: int = 0

    @property
    def cents(self) -> int:
        return sum(self.line_cents.values()) + self.other_cents


NO_TAX = TaxQuote()


@dataclass(frozen=True)
class Place:
    """Where an order's printed books go, as far as the tax cares: country and region."""

    country: str
    region: str


@dataclass(frozen=True)
class TaxableLine:
    """A book line as it is paid for: after member deals and a code."""

    edition_id: int
    is_physical: bool
    paid_cents: int


def rate_for(place: Place) -> TaxRate | None:
    """The rate for a place: its region's own, else its country's, else None."""
    country = (place.country or "").upper()
    if not country:
        return None
    wanted = {normalise_region(country, place.region or ""), ""}
    rows = db.session.scalars(
        select(TaxRate).where(TaxRate.country == country, TaxRate.region.in_(wanted))
    ).all()
    return max(rows, key=lambda r: r.region != "", default=None)


def quote_tax(
    rate: TaxRate | None, lines: Iterable[TaxableLine], *, shipping_cents: int, wrap_cents: int
) -> TaxQuote:
    """The tax an order owes at ``rate`` (None: none)."""
    if rate is None:
        return NO_TAX
    line_cents = {
        line.edition_id: tax_on(line.paid_cents, rate.rate)
        for line in lines
        if line.is_physical or rate.taxes_ebooks
    }
    other = tax_on(wrap_cents, rate.rate)
    if rate.taxes_shipping:
        other += tax_on(shipping_cents, rate.rate)
    if not any(line_cents.values()) and not other:
        return NO_TAX
    return TaxQuote(f"{rate.name} ({rate_label(rate.rate)})", line_cents, other)


# Staff: keeping the rates.

RATE_FIELDS = ["country", "region", "name", "rate", "taxes_shipping", "taxes_ebooks"]


@dataclass(frozen=True)
class RateSpec:
    country: str
    region: str
    name: str
    rate: int
    taxes_shipping: bool = True
    taxes_ebooks: bool = True


def any_rates(*, on_ebooks: bool = False) -> bool:
    """Whether the shop charges sales tax anywhere (checkout says it will be added); with
    ``on_ebooks``, on ebooks anywhere (checkout then asks an ebook buyer where they live)."""
    query = select(TaxRate.id).limit(1)
    if on_ebooks:
        query = query.where(TaxRate.taxes_ebooks.is_(True))
    return db.session.scalar(query) is not None


def all_rates() -> list[TaxRate]:
    return list(db.session.scalars(select(TaxRate).order_by(TaxRate.country, TaxRate.region)))


def get_rate(rate_id: int) -> TaxRate:
    rate = db.session.get(TaxRate, rate_id)
    if rate is None:
        raise NotFound("No such tax rate.")
    return rate


def set_rate(spec: RateSpec, *, actor_id: int | None) -> tuple[TaxRate, dict[str, Any] | None]:
    """Add the rate for the spec's place, or change the one it has; returns the rate and, for
    a change, its values before (None for a new one). Orders already placed keep their tax."""
    country = spec.country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidInput("Country: give its two-letter code, such as US or CA.")
    region = normalise_region(country, spec.region)
    if len(region) > 100:
        raise InvalidInput("State or region: at most 100 characters.")
    name = " ".join(spec.name.split())
    if not name or len(name) > 80:
        raise InvalidInput("Name: give the tax's name for receipts, such as Vermont sales tax.")
    if not 0 < spec.rate <= MAX_RATE:
        raise InvalidInput(f"Rate: give a percentage above 0 and at most {MAX_RATE // 1000}.")
    rate = find_rate(country, region)
    before = None if rate is None else {name: getattr(rate, name) for name in RATE_FIELDS}
    if rate is None:
        rate = TaxRate(country=country, region=region)
        db.session.add(rate)
    rate.name, rate.rate = name, spec.rate
    rate.taxes_shipping, rate.taxes_ebooks = spec.taxes_shipping, spec.taxes_ebooks
    rate.updated_by_id = actor_id
    db.session.flush()
    return rate, before


def find_rate(country: str, region: str) -> TaxRate | None:
    """The rate kept for exactly this place (a region as addresses spell it, or "")."""
    country = country.strip().upper()
    return db.session.scalars(
        select(TaxRate).where(
            TaxRate.country == country, TaxRate.region == normalise_region(country, region)
        )
    ).one_or_none()


def remove_rate(rate: TaxRate) -> None:
    db.session.delete(rate)
    db.session.flush()


# Staff: what was collected, for the returns they file.


@dataclass(frozen=True)
class Collected:
    """The sales tax of one place in a period: charged on the orders paid in it, and given
    back by the refunds made in it (whenever their orders were paid)."""

    country: str
    region: str
    orders: int
    tax_cents: int
    refunds: int = 0
    refunded_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.tax_cents - self.refunded_cents


# Orders whose payment was taken and accepted: their tax was charged, refunded or not.
CHARGED_STATES = (
    OrderState.PAID,
    OrderState.SHIPPED,
    OrderState.PARTIALLY_REFUNDED,
    OrderState.REFUNDED,
)


def collected(start: datetime, end: datetime) -> list[Collected]:
    """Each place's tax in [start, end): charged on the orders paid then, and refunded then,
    by the place whose rate applied (orders keep its region as rates do: "VT")."""
    charged = db.session.execute(
        select(Order.tax_country, Order.tax_region, func.count(), func.sum(Order.tax_cents))
        .where(
            Order.paid_at >= start,
            Order.paid_at < end,
            Order.tax_cents > 0,
            Order.state.in_(CHARGED_STATES),
        )
        .group_by(Order.tax_country, Order.tax_region)
    )
    refunded = db.session.execute(
        select(
            Order.tax_country,
            Order.tax_region,
            func.count(TaxRefund.id),
            func.sum(TaxRefund.cents),
        )
        .join(Order, Order.id == TaxRefund.order_id)
        .where(TaxRefund.created_at >= start, TaxRefund.created_at < end)
        .group_by(Order.tax_country, Order.tax_region)
    )
    places: dict[tuple[str, str], Collected] = {}
    for country, region, n, cents in charged:
        places[country, region] = Collected(country, region, n, int(cents))
    for country, region, n, cents in refunded:
        before = places.get((country, region), Collected(country, region, 0, 0))
        places[country, region] = replace(before, refunds=n, refunded_cents=int(cents))
    return [places[key] for key in sorted(places)]


def total_of(places: list[Collected]) -> Collected:
    """All places' figures added up."""
    return Collected(
        "",
        "",
        sum(c.orders for c in places),
        sum(c.tax_cents for c in places),
        sum(c.refunds for c in places),
        sum(c.refunded_cents for c in places),
    )


def refunded_tax(order: Order) -> int:
    """The sales tax given back on the order so far."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(TaxRefund.cents), 0)).where(TaxRefund.order_id == order.id)
    )
    return int(total or 0)


def record_refund(
    order: Order, refund_cents: int, *, lines_tax: int | None, whole: bool, now: datetime
) -> int:
    """Record the sales tax a refund of ``refund_cents`` gave back, and return it: all that is
    left when the refund leaves nothing of the order (``whole``), the tax of the copies staff
    chose (``lines_tax``), else the order's share of tax in the amount (a refund made at
    Stripe's dashboard names no copies), rounded half up. Call it in the transaction that
    recorded the refund on the order (``order.refunded_cents`` is the total after it): its
    guarded UPDATE holds the order's row, so refunds are counted one at a time."""
    if not order.tax_cents or refund_cents <= 0:
        return 0
    left = order.tax_cents - refunded_tax(order)
    if whole:
        cents = left
    elif lines_tax is not None:
        cents = min(lines_tax, left)
    else:
        share = (2 * refund_cents * order.tax_cents + order.total_cents) // (2 * order.total_cents)
        cents = min(share, left)
    if cents > 0:
        step = TaxRefund(
            order_id=order.id, refunded_to_cents=order.refunded_cents, cents=cents, created_at=now
        )
        db.session.add(step)
        db.session.flush()
    return max(cents, 0)


def correct_refund(order: Order, refunded_to: int, lines_tax: int) -> None:
    """Staff refunded chosen copies, and Stripe's webhook recorded the refund first, with the
    order's share of tax in its amount: the copies' own tax replaces that share."""
    step = db.session.scalar(
        select(TaxRefund).where(
            TaxRefund.order_id == order.id, TaxRefund.refunded_to_cents == refunded_to
        )
    )
    if step is None or step.cents == lines_tax:
        return
    cents = min(lines_tax, order.tax_cents - (refunded_tax(order) - step.cents))
    if cents > 0:
        step.cents = cents
    else:
        db.session.delete(step)
    db.session.flush()


def moved_place_note(order: Order, place: Place) -> str:
    """What staff should know when an order's parcel is sent elsewhere after payment: the tax
    it was charged stays as it was, but the new place may owe another ("" when it does not)."""
    country = place.country.upper()
    region = normalise_region(country, place.region)
    rate = rate_for(place)
    if order.tax_cents and (order.tax_country, order.tax_region) != (country, region):
        charged = format_cents(order.tax_cents, order.currency)
        owed = f"{rate.name} ({rate_label(rate.rate)})" if rate else "no sales tax"
        return (
            f"The order was charged {order.tax_label or 'sales tax'}, {charged}, which stays "
            f"as it was; the new address owes {owed}."
        )
    if not order.tax_cents and rate is not None:
        return (
            f"The order was charged no sales tax; the new address owes {rate.name} "
            f"({rate_label(rate.rate)})."
        )
    return ""
