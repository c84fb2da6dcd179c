"""The customs declaration a parcel abroad carries (CN 22, as the packing slip prints it):
what is in it, each line's value as the buyer paid for it, the tariff number of printed books
and where they come from. Weight and signature are written in by hand at the post office."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bookstore.checkout.models import Order
from bookstore.checkout.refunds import paid_line_totals
from bookstore.shipping.services import home_country

# The Harmonized System's heading for printed books (other than in single sheets).
PRINTED_BOOKS_HS = "4901.99"


@dataclass(frozen=True)
class CustomsLine:
    description: str
    copies: int
    value_cents: int


@dataclass(frozen=True)
class CustomsDeclaration:
    gift: bool  # the category: "Gift", else "Sale of goods"
    lines: list[CustomsLine]
    currency: str
    origin: str  # two letters: the shop's own country
    hs_code: str = PRINTED_BOOKS_HS

    @property
    def total_cents(self) -> int:
        return sum(line.value_cents for line in self.lines)

    @property
    def copies(self) -> int:
        return sum(line.copies for line in self.lines)


def declaration(
    order: Order, *, gift: bool, config: Mapping[str, Any]
) -> CustomsDeclaration | None:
    """The declaration for the order's parcel, or None for one that stays in the shop's own
    country. Each line's value is what the buyer paid for its copies (after member deals and
    a code), without sales tax, which the destination does not count."""
    origin = home_country(config)
    country = (order.ship_country or "").upper()
    if not country or country == origin:
        return None
    paid = paid_line_totals(order)
    lines = [
        CustomsLine(f"Printed book: {line.title}", line.quantity, paid[line.id] - line.tax_cents)
        for line in order.lines
        if line.format.is_physical
    ]
    if not lines:
        return None
    return CustomsDeclaration(gift=gift, lines=lines, currency=order.currency, origin=origin)
