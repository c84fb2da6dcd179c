"""What a shopper is told about an edition or a book: in stock, only N left, preorder..."""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from bookstore.catalog.models import Book, Edition, EditionStatus, Format

if TYPE_CHECKING:
    from bookstore.catalog.book_rows import PageEdition

# Display order of formats on a book page and in lists.
FORMAT_ORDER = {Format.PAPERBACK: 0, Format.HARDCOVER: 1, Format.EBOOK: 2}

SCHEMA_ORG = "https://schema.org/"


class StockState(enum.StrEnum):
    IN_STOCK = "in_stock"
    LOW_STOCK = "low_stock"
    OUT_OF_STOCK = "out_of_stock"
    PREORDER = "preorder"
    OUT_OF_PRINT = "out_of_print"

    @property
    def schema_url(self) -> str:
        """The schema.org ItemAvailability URL for JSON-LD offers."""
        names = {
            "in_stock": "InStock",
            "low_stock": "LimitedAvailability",
            "out_of_stock": "OutOfStock",
            "preorder": "PreOrder",
            "out_of_print": "Discontinued",
        }
        return SCHEMA_ORG + names[self.value]


_BUYABLE = frozenset(("in_stock", "low_stock", "preorder"))
# Order of hope, for the one line a book card shows.
_HOPE = {
    state: rank
    for rank, state in enumerate(
        ("in_stock", "low_stock", "preorder", "out_of_stock", "out_of_print")
    )
}


@dataclass(frozen=True)
class Availability:
    """An edition's state on a given day, with the words shown to the shopper."""

    state: StockState
    label: str
    available: int | None = None
    release_date: date | None = None
    # True when the edition can go into a cart (in stock, low stock or preorder).
    can_buy: bool = field(init=False, repr=False, compare=False)
    # Its rank in the order of hope (0: in stock), for the one line a book card shows.
    hope: int = field(init=False, repr=False, compare=False)
    # The state as HTML class names write it ("low-stock").
    css_name: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Worked out once: the same few objects serve every card (see _copies, _preorder).
        state = self.state.value
        object.__setattr__(self, "can_buy", state in _BUYABLE)
        object.__setattr__(self, "hope", _HOPE[state])
        object.__setattr__(self, "css_name", state.replace("_", "-"))


def edition_availability(
    edition: Edition | PageEdition, today: date, low_stock_threshold: int, lapsed: int = 0
) -> Availability:
    """In stock, only N left (below the threshold), out of stock, preorder or out of print.

    ``lapsed``: copies held by checkouts whose time is up, free to sell again."""
    status = edition.status_on(today)
    if status is EditionStatus.OUT_OF_PRINT or not edition.active:
        return _OUT_OF_PRINT
    if status is EditionStatus.PREORDER:
        return _preorder(edition.published_on or edition.book.published_on)
    available = edition.available
    if available is None:
        return _DOWNLOAD
    available += lapsed
    if available <= 0:
        return _OUT_OF_STOCK
    threshold = edition.low_stock_threshold
    if threshold is None:
        threshold = low_stock_threshold
    return _copies(available, threshold)


# An Availability is a value: the same words for the same state are one object, made once
# (a list page asks for two or three per book).
_OUT_OF_PRINT = Availability(StockState.OUT_OF_PRINT, "Out of print")
_DOWNLOAD = Availability(StockState.IN_STOCK, "Available to download")
_OUT_OF_STOCK = Availability(StockState.OUT_OF_STOCK, "Out of stock", available=0)


@functools.lru_cache(maxsize=1024)
def _preorder(release: date | None) -> Availability:
    return Availability(
        StockState.PREORDER, f"Preorder: published {format_date(release)}", release_date=release
    )


@functools.lru_cache(maxsize=1024)
def _copies(available: int, threshold: int) -> Availability:
    if available < threshold:
        return Availability(StockState.LOW_STOCK, f"Only {available} left", available=available)
    return Availability(StockState.IN_STOCK, "In stock", available=available)


def sorted_editions(book: Book) -> list[Edition]:
    """The book's active editions, paperback first, then hardcover, then ebook."""
    editions = [e for e in book.editions if e.active]
    if len(editions) > 1:
        editions.sort(key=_edition_order)
    return editions


def _edition_order(edition: Edition) -> tuple[int, int]:
    return FORMAT_ORDER.get(edition.format, 9), edition.id


class BookSummary(NamedTuple):
    """What a book card says: the lowest price and one availability line."""

    min_price_cents: int | None
    several_prices: bool
    availability: Availability | None
    # The editions the price is taken from (member prices are worked out from the same ones).
    priced: tuple[Edition, ...] = ()


def book_summary(
    book: Book, today: date, low_stock_threshold: int, lapsed: Mapping[int, int] | None = None
) -> BookSummary:
    """Lowest price over editions still for sale (those that can be bought, else all) and the
    most hopeful availability, of print copies that can be bought when there are some: they
    say more than "available to download". One pass over the editions (a list shows dozens
    of cards)."""
    editions = sorted_editions(book)
    if not editions:
        return _NOTHING_FOR_SALE
    buyable: list[Edition] = []
    shown: Availability | None = None  # the most hopeful of all (the first of equals)
    shown_print: Availability | None = None  # the most hopeful of print copies to buy
    for edition in editions:
        held = lapsed.get(edition.id, 0) if lapsed else 0
        found = edition_availability(edition, today, low_stock_threshold, held)
        if shown is None or found.hope < shown.hope:
            shown = found
        if found.can_buy:
            buyable.append(edition)
            if edition.is_physical and (shown_print is None or found.hope < shown_print.hope):
                shown_print = found
    priced = buyable or editions
    if len(priced) == 1:
        return BookSummary(priced[0].price_cents, False, shown_print or shown, (priced[0],))
    prices = {edition.price_cents for edition in priced}
    return BookSummary(min(prices), len(prices) > 1, shown_print or shown, tuple(priced))


_NOTHING_FOR_SALE = BookSummary(min_price_cents=None, several_prices=False, availability=None)


def format_date(value: date | None) -> str:
    """``date(2027, 3, 1)`` becomes ``'March 1, 2027'``."""
    if value is None:
        return "date to be announced"
    return f"{value:%B} {value.day}, {value.year}"
