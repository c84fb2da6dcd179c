"""Jinja helpers of the catalog pages, registered app-wide by the catalog blueprint."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, url_for

from bookstore import contexts, page_cache
from bookstore.catalog.availability import (
    Availability,
    BookSummary,
    book_summary,
    edition_availability,
    format_date,
)
from bookstore.catalog.book_rows import PageBook
from bookstore.catalog.isbn import hyphenate_isbn13
from bookstore.catalog.listing import LANGUAGES
from bookstore.catalog.models import Book, Edition
from bookstore.dbtypes import utcnow
from bookstore.inventory.availability import lapsed_snapshot
from bookstore.links import external_url


def shop_today() -> date:
    """Today's date in UTC: the day that decides preorders and new titles."""
    return utcnow().date()


def low_stock_threshold() -> int:
    """Copies below which a card says "Only N left" (an edition may set its own)."""
    return int(contexts.app().config.get("LOW_STOCK_THRESHOLD", 3))


def lapsed_holds() -> dict[int, int]:
    """Copies held by checkouts whose time is up, per edition: free to sell again. Read once
    per request; a page cached with these counts is kept only until the next hold lapses."""
    state = contexts.app_globals()
    if "lapsed_holds" not in state:
        state.lapsed_holds, next_lapse = _lapsed_snapshot()
        if next_lapse is not None:
            page_cache.keep_until(next_lapse)
    lapsed: dict[int, int] = state.lapsed_holds
    return lapsed


def _lapsed_snapshot() -> tuple[dict[int, int], datetime | None]:
    """``lapsed_snapshot`` now; while a cacheable page renders, this process's last one while
    it still holds: until the stock changes (taking or releasing a hold changes some edition's
    reserved copies) or its next hold lapses. Do not change the dictionary it gives."""
    now = utcnow()
    scope = page_cache.part_scope()
    if scope is None:
        return lapsed_snapshot(now)
    stock_seq = scope[1]
    extensions = contexts.app().extensions
    kept = extensions.get("lapsed_holds")
    if kept is not None and kept[0] == stock_seq and (kept[2] is None or now < kept[2]):
        return kept[1], kept[2]
    lapsed, next_lapse = lapsed_snapshot(now)
    extensions["lapsed_holds"] = (stock_seq, lapsed, next_lapse)
    return lapsed, next_lapse


def availability(edition: Edition) -> Availability:
    """The edition's availability now."""
    return edition_availability(
        edition, shop_today(), low_stock_threshold(), lapsed_holds().get(edition.id, 0)
    )


def summary(book: Book) -> BookSummary:
    """A book card's lowest price and availability now."""
    return book_summary(book, shop_today(), low_stock_threshold(), lapsed_holds())


# The widths stored for an uploaded cover (staff/cover_images.SIZES), narrowest first.
COVER_WIDTHS = {"small": 240, "medium": 400, "large": 600}


def cover_url(book: Book | PageBook, size: str = "large") -> str:
    """The uploaded cover when there is one (``small``, ``medium`` or ``large``), else the
    generated SVG."""
    if book.cover_image:
        # Uploads are stored as <name>-large.jpg, <name>-medium.jpg and <name>-small.jpg.
        filename = book.cover_image.replace("-large.", f"-{size}.")
        return url_for("catalog.cover_file", filename=filename)
    return url_for("catalog.cover", slug=book.slug)


def cover_srcset(book: Book) -> str:
    """Every stored width of an uploaded cover for ``srcset``; "" for a generated (SVG) one."""
    if not book.cover_image:
        return ""
    return ", ".join(f"{cover_url(book, size)} {width}w" for size, width in COVER_WIDTHS.items())


def email_cover_url(edition: Edition | None) -> str | None:
    """The absolute address of an edition's cover for an email: the uploaded one's small JPEG,
    or the generated one's PNG (mail programs show no SVG); None for a deleted edition."""
    book = edition.book if edition is not None else None
    if book is None:
        return None
    if not book.cover_image:
        return external_url("catalog.cover_png", slug=book.slug)
    filename = book.cover_image.replace("-large.", "-small.")
    return external_url("catalog.cover_file", filename=filename)


def language_names(book: Book) -> str:
    """``'en ru'`` becomes ``'English and Russian'``."""
    names = [LANGUAGES.get(code, code.upper()) for code in book.language_codes]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def author_names(book: Book) -> str:
    """The authors' names joined for a card or a byline."""
    names = [person.name for person in book.authors]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def register(bp: Blueprint) -> None:
    """Make the helpers available to every template."""
    from bookstore.catalog import card_html, list_html  # their pieces use the helpers above
    from bookstore.catalog.cards import book_cards

    bp.app_template_filter("isbn")(hyphenate_isbn13)
    bp.app_template_filter("long_date")(format_date)
    bp.app_template_filter("language_names")(language_names)
    bp.app_template_filter("author_names")(author_names)
    bp.app_template_global("availability")(availability)
    bp.app_template_global("book_summary")(summary)
    bp.app_template_global("book_cards")(book_cards)
    pieces = {"catalog_html": card_html, "list_html": list_html}
    bp.record_once(lambda state: state.app.jinja_env.globals.update(pieces))
    bp.app_template_global("cover_url")(cover_url)
    bp.app_template_global("cover_srcset")(cover_srcset)
    bp.app_template_global("email_cover_url")(email_cover_url)
