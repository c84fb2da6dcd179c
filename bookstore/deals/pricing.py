"""Applying deals to priced lines: pure functions, no database and no clock.

Rules:
- a deal applies to the lines its scope selects (editions, books, subjects, formats, the order);
- it must be open (``starts_at <= now < ends_at``) and the order subtotal must reach its minimum;
- percent off is worked out per line; amount off is taken once from the eligible lines, shared
  in proportion to their amounts; fixed price caps each eligible copy at the deal's price;
- nothing ever goes below zero;
- every fraction of a cent is rounded in the shopper's favour, in ``round_discount`` alone;
- one deal per order, unless every chosen deal stacks with others (then they apply in turn,
  each to what the previous ones left).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bookstore.errors import DealUnavailable
from bookstore.money import format_cents

PERCENT_OFF = "percent_off"
AMOUNT_OFF = "amount_off"
FIXED_PRICE = "fixed_price"
BASIS_POINTS = 10_000


@dataclass(frozen=True)
class PricedLine:
    """One line of a cart or order, with the price the shop charges before deals."""

    key: int
    edition_id: int
    book_id: int
    subject_ids: frozenset[int]
    format: str
    unit_price_cents: int
    quantity: int

    @property
    def total_cents(self) -> int:
        return self.unit_price_cents * self.quantity


@dataclass(frozen=True)
class DealTerms:
    """What pricing needs to know about a deal (see ``Deal.terms()``)."""

    id: int
    title: str
    kind: str
    value: int
    scope: str
    starts_at: datetime
    ends_at: datetime
    min_order_cents: int = 0
    stacks_with_others: bool = False
    edition_ids: frozenset[int] = frozenset()
    book_ids: frozenset[int] = frozenset()
    subject_ids: frozenset[int] = frozenset()
    formats: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AppliedDeal:
    deal_id: int
    title: str
    discount_cents: int
    line_discounts: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DealPricing:
    """Lines before and after the chosen deals."""

    subtotal_cents: int
    discount_cents: int
    applied: tuple[AppliedDeal, ...]
    line_discounts: dict[int, int]

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents - self.discount_cents

    def line_discount(self, key: int) -> int:
        return self.line_discounts.get(key, 0)


def round_discount(numerator: int, denominator: int) -> int:
    """The ONE rounding rule: a discount of numerator/denominator cents, rounded UP.

    Rounding the discount up rounds the price the shopper pays down: always in their favour.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if numerator <= 0:
        return 0
    return -(-numerator // denominator)


def offer_label(kind: str, value: int) -> str:
    """How a deal reads to a shopper: '15% off', '$5.00 off', '$9.99 each'."""
    if kind == PERCENT_OFF:
        whole, part = divmod(value, 100)
        percent = f"{whole}" if part == 0 else f"{value / 100:g}"
        return f"{percent}% off"
    if kind == AMOUNT_OFF:
        return f"{format_cents(value)} off"
    if kind == FIXED_PRICE:
        return f"{format_cents(value)} each"
    raise ValueError(f"unknown deal kind {kind!r}")


def is_eligible(terms: DealTerms, line: PricedLine) -> bool:
    """True when the deal's scope covers this line."""
    scope = terms.scope
    if scope == "order":
        return True
    if scope == "editions":
        return line.edition_id in terms.edition_ids
    if scope == "books":
        return line.book_id in terms.book_ids
    if scope == "subjects":
        return bool(line.subject_ids & terms.subject_ids)
    if scope == "formats":
        return line.format in terms.formats
    raise ValueError(f"unknown deal scope {scope!r}")


def eligible_lines(terms: DealTerms, lines: Iterable[PricedLine]) -> list[PricedLine]:
    """The lines the deal applies to, in their order."""
    return [line for line in lines if is_eligible(terms, line)]


def deal_problem(terms: DealTerms, lines: Sequence[PricedLine], now: datetime) -> str | None:
    """Why the deal cannot apply to these lines now, in words; None when it can."""
    if now < terms.starts_at:
        return f"“{terms.title}” has not started yet: it opens on {terms.starts_at:%d %B %Y}."
    if now >= terms.ends_at:
        return f"“{terms.title}” has ended."
    subtotal = sum(line.total_cents for line in lines)
    if subtotal < terms.min_order_cents:
        short = format_cents(terms.min_order_cents - subtotal)
        return (
            f"“{terms.title}” needs an order of at least {format_cents(terms.min_order_cents)}: "
            f"add {short} more."
        )
    if not eligible_lines(terms, lines):
        return f"Nothing in your cart is covered by “{terms.title}”."
    return None


def check_stacking(deals: Sequence[DealTerms]) -> None:
    """One deal per order, unless every chosen deal stacks with the others."""
    if len(deals) > 1 and not all(d.stacks_with_others for d in deals):
        loner = next(d for d in deals if not d.stacks_with_others)
        raise DealUnavailable(
            f"“{loner.title}” cannot be combined with another deal: choose one of them."
        )
    if len({d.id for d in deals}) != len(deals):
        raise DealUnavailable("The same deal was chosen twice.")


def _share(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` in proportion to ``weights`` exactly (largest remainder, stable)."""
    total = sum(weights)
    if total == 0 or amount == 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def discounts_for(
    terms: DealTerms, lines: list[PricedLine], left: dict[int, int]
) -> dict[int, int]:
    """Discount per line key for one deal (or promotion code), given what each line still
    costs (``left``)."""
    if terms.kind == PERCENT_OFF:
        return {
            line.key: min(
                left[line.key], round_discount(left[line.key] * terms.value, BASIS_POINTS)
            )
            for line in lines
        }
    if terms.kind == FIXED_PRICE:
        return {line.key: max(0, left[line.key] - terms.value * line.quantity) for line in lines}
    if terms.kind == AMOUNT_OFF:
        weights = [left[line.key] for line in lines]
        amount = min(terms.value, sum(weights))
        return dict(zip((line.key for line in lines), _share(amount, weights), strict=True))
    raise ValueError(f"unknown deal kind {terms.kind!r}")


def apply_deals(
    lines: Sequence[PricedLine], deals: Sequence[DealTerms], now: datetime
) -> DealPricing:
    """Price the lines with the chosen deals; raises DealUnavailable if one cannot apply."""
    for line in lines:
        if line.unit_price_cents < 0 or line.quantity <= 0:
            raise ValueError(f"bad line {line!r}")
    ordered = sorted(deals, key=lambda d: d.id)
    check_stacking(ordered)
    for terms in ordered:
        problem = deal_problem(terms, lines, now)
        if problem:
            raise DealUnavailable(problem)
    left = {line.key: line.total_cents for line in lines}
    applied = []
    for terms in ordered:
        discounts = discounts_for(terms, eligible_lines(terms, lines), left)
        discounts = {key: cents for key, cents in discounts.items() if cents > 0}
        for key, cents in discounts.items():
            left[key] -= cents
        applied.append(AppliedDeal(terms.id, terms.title, sum(discounts.values()), discounts))
    subtotal = sum(line.total_cents for line in lines)
    line_discounts = {
        line.key: line.total_cents - left[line.key]
        for line in lines
        if left[line.key] != line.total_cents
    }
    return DealPricing(subtotal, subtotal - sum(left.values()), tuple(applied), line_discounts)


def split_for_payment(
    unit_price_cents: int, quantity: int, discount_cents: int
) -> list[tuple[int, int]]:
    """A discounted line as (unit amount, quantity) groups for a payment provider.

    Stripe wants whole-cent unit amounts: 3 copies at $10.00 with $1.00 off become
    ``[(966, 1), (967, 2)]``, and the groups always add up to the discounted total exactly.
    """
    total = unit_price_cents * quantity - discount_cents
    if quantity <= 0 or total < 0:
        raise ValueError("a line needs a positive quantity and a discount within its total")
    base, extra = divmod(total, quantity)
    groups = [(base, quantity - extra), (base + 1, extra)]
    return [(amount, qty) for amount, qty in groups if qty > 0]
