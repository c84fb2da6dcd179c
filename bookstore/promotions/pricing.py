"""Promotion codes priced against a cart: pure functions, no database and no clock.

The stacking rule (shown line by line in the checkout summary): a code comes off what the
books cost AFTER member prices and member deals. Its minimum order is measured on that same
amount; it never touches shipping or a membership, and nothing goes below zero. Fractions of
a cent round in the shopper's favour (``deals.pricing.round_discount``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bookstore.deals.pricing import DealTerms, PricedLine, discounts_for, eligible_lines

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,39}")
_FAR = datetime(9999, 1, 1, tzinfo=UTC)


def normalise_code(text: str | None) -> str:
    """A code as stored and compared: upper case, without spaces (`` welcome 10`` ->
    ``WELCOME10``). Returns "" for anything that cannot be a code."""
    cleaned = "".join((text or "").split()).upper()
    return cleaned if CODE_PATTERN.fullmatch(cleaned) else ""


@dataclass(frozen=True)
class CodeTerms:
    """What pricing needs to know about a code (see ``promotions.orders.terms_of``)."""

    id: int
    code: str
    kind: str
    value: int
    scope: str  # all, subjects, formats, editions
    min_order_cents: int = 0
    edition_ids: frozenset[int] = frozenset()
    subject_ids: frozenset[int] = frozenset()
    formats: frozenset[str] = frozenset()

    def as_deal(self) -> DealTerms:
        """The same terms in the shape deal pricing works with (scope "all" is "order")."""
        return DealTerms(
            id=self.id,
            title=self.code,
            kind=self.kind,
            value=self.value,
            scope="order" if self.scope == "all" else self.scope,
            starts_at=datetime.min.replace(tzinfo=UTC),
            ends_at=_FAR,
            edition_ids=self.edition_ids,
            subject_ids=self.subject_ids,
            formats=self.formats,
        )


@dataclass(frozen=True)
class CodeDiscount:
    """What a code takes off: in all, and per line key (edition id)."""

    discount_cents: int = 0
    line_discounts: dict[int, int] = field(default_factory=dict)


def books_after_deals(lines: Sequence[PricedLine], deal_discounts: Mapping[int, int]) -> int:
    """What the books cost after member prices and deals: the amount a code works on."""
    return sum(line.total_cents - deal_discounts.get(line.key, 0) for line in lines)


def price_code(
    terms: CodeTerms, lines: Sequence[PricedLine], deal_discounts: Mapping[int, int]
) -> CodeDiscount:
    """The code's discount on ``lines`` once ``deal_discounts`` (per line key) are taken off.

    Returns no discount when nothing is covered; the caller says why (``code_problem``).
    """
    left = {line.key: line.total_cents - deal_discounts.get(line.key, 0) for line in lines}
    covered = [line for line in eligible_lines(terms.as_deal(), lines) if left[line.key] > 0]
    discounts = discounts_for(terms.as_deal(), covered, left)
    discounts = {key: cents for key, cents in discounts.items() if cents > 0}
    return CodeDiscount(sum(discounts.values()), discounts)
