"""What may go in a cart: quantities, and how many of an edition one line may hold.

Rules (shared by adding, updating, merging and pricing):

- A quantity is a whole number written in ASCII digits, from 1 to ``CART_MAX_PER_LINE``.
- An ebook line holds exactly one copy (a download is not bought twice).
- A physical line holds at most what is available now (``on_hand - reserved``).
- Preorders (a publication date in the future) follow the physical rule: they are limited by
  ``on_hand``, the copies the publisher has allocated to preorders. Checkout reserves stock for
  every physical line, so allowing more here would only fail later at the payment step; an
  unallocated preorder says so on the book page instead of selling copies that do not exist.
- Retired (``active=False``) and out-of-print editions cannot be added at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bookstore.catalog.models import Edition, EditionStatus
from bookstore.errors import InvalidInput

# At most six ASCII digits: refuses "1.5", "1e3", "-1", "+2", " 2 x", "２" and 10**9 alike.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


def parse_quantity(raw: str | None, *, max_per_line: int) -> int:
    """Read a quantity typed or chosen in a form; raise ``InvalidInput`` unless 1..max."""
    message = f"Please choose a quantity from 1 to {max_per_line}, as a whole number."
    if raw is None or not _WHOLE_NUMBER.fullmatch(raw):
        raise InvalidInput(message)
    quantity = int(raw)
    if not 1 <= quantity <= max_per_line:
        raise InvalidInput(message)
    return quantity


def parse_id(raw: str | None, *, what: str = "book") -> int:
    """Read a database id from a form; raise ``InvalidInput`` for anything else."""
    if raw is None or not re.fullmatch(r"[0-9]{1,12}", raw) or int(raw) == 0:
        raise InvalidInput(f"That {what} could not be found.")
    return int(raw)


def edition_label(edition: Edition) -> str:
    """How messages name an edition: ``'Murder at the Dacha (paperback)'``."""
    return f"{edition.book.title} ({edition.format.value})"


def unavailable_reason(edition: Edition, available: int | None = None) -> str | None:
    """Why this edition cannot be in a cart at all, or ``None`` when it can be sold."""
    if not edition.active:
        return f"{edition_label(edition)} is no longer sold."
    if edition.out_of_print:
        return f"{edition_label(edition)} is out of print."
    if edition.is_physical and _free(edition, available) <= 0:
        return f"{edition_label(edition)} is out of stock."
    return None


def line_limit(edition: Edition, *, max_per_line: int, available: int | None = None) -> int:
    """The most copies one cart line may hold now (0 when the edition cannot be sold).

    ``available`` overrides the edition's own count (on hand minus reserved), e.g. with the
    copies a cart may count on (``inventory.availability.free_for_cart``)."""
    if unavailable_reason(edition, available) is not None:
        return 0
    if not edition.is_physical:
        return 1
    return min(max_per_line, _free(edition, available))


def _free(edition: Edition, available: int | None) -> int:
    return (edition.available if available is None else available) or 0


@dataclass(frozen=True)
class Offer:
    """What the add-to-cart form may offer for one edition (computed without a query)."""

    can_add: bool
    max_quantity: int
    is_ebook: bool
    is_preorder: bool
    message: str


def offer_for(edition: Edition, *, max_per_line: int, today: date, lapsed: int = 0) -> Offer:
    """The add-to-cart choices for ``edition``: how many, or why none (``lapsed``: copies of
    checkouts whose time is up, free again)."""
    available = (edition.available or 0) + lapsed if edition.is_physical else None
    limit = line_limit(edition, max_per_line=max_per_line, available=available)
    reason = unavailable_reason(edition, available)
    if reason is not None:
        # The book page already names the book: keep the message short.
        if not edition.active:
            reason = "No longer sold."
        elif edition.out_of_print:
            reason = "Out of print."
        else:
            reason = "Out of stock: not available to order just now."
    return Offer(
        can_add=limit > 0,
        max_quantity=limit,
        is_ebook=not edition.is_physical,
        is_preorder=edition.status_on(today) is EditionStatus.PREORDER,
        message=reason or "",
    )
