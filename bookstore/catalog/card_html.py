"""The HTML of a book card and of its small parts (price, availability badge, rating, cover).

A list page shows dozens of cards, and Jinja macros calling macros cost more than the rest of
the page together; so these pieces are written here once, in Python, and the catalog macros of
the same names (templates/catalog/_macros.html) call them. Every value goes through ``e``
(markupsafe's escape, in C), or ``text`` (the same escaping without the ``Markup`` object,
html_text) where a card's strings are put in; plain f-strings put them together, as
``Markup.format`` costs several times more.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from flask import current_app, url_for
from markupsafe import Markup
from markupsafe import escape as e

from bookstore import contexts
from bookstore.catalog.availability import Availability, book_summary
from bookstore.catalog.filters import (
    author_names,
    cover_srcset,
    cover_url,
    lapsed_holds,
    low_stock_threshold,
    shop_today,
)
from bookstore.catalog.html_text import text
from bookstore.money import format_cents

_SLUG = "0slug0"  # stands for a book's slug in a link made once a request (slugs are URL-safe)
_EMPTY = Markup("")


def _currency() -> str:
    return contexts.app().config.get("CURRENCY", "USD")


class CardContext:
    """What every card of one list shares, looked up once for the list rather than once a
    card: the shop's day, the low-stock threshold, lapsed holds, the currency, the member
    prices (``member_offers`` of bookstore/deals) and the links' patterns, escaped: escaping
    goes character by character, so a pattern's escape with the slug's escape put in is the
    escaped link (``_SLUG`` has nothing to escape)."""

    __slots__ = (
        "today",
        "threshold",
        "lapsed",
        "currency",
        "member_offer",
        "book",
        "cover",
        "join",
    )

    def __init__(self) -> None:
        self.today = shop_today()
        self.threshold = low_stock_threshold()
        self.lapsed = lapsed_holds()
        self.currency = _currency()
        offers: Callable | None = current_app.jinja_env.globals.get("member_offers")  # type: ignore[assignment]
        self.member_offer: Callable | None = offers() if offers is not None else None
        self.book = str(e(_pattern("catalog.book", with_slug=True)))
        # A generated cover's <img>, lazy and eager, for the slug to be put in.
        cover = _pattern("catalog.cover", with_slug=True)
        self.cover = {lazy: _img(cover, "", "", "", 160, 240, lazy) for lazy in (True, False)}
        # Where "Members pay ..." links to: only a list with member offers shows it.
        self.join = (
            str(e(_pattern("members.membership", False))) if self.member_offer is not None else None
        )


def link(endpoint: str, slug: str | None = None) -> str:
    """``url_for(endpoint)``, or ``url_for(endpoint, slug=slug)``, built once per request and
    endpoint (a book's link is the endpoint's with its slug put in). A slug that would need
    quoting (slugs are made URL-safe, but staff may type one) is built by ``url_for``."""
    if slug is not None and not (slug.isascii() and slug.replace("-", "").isalnum()):
        return url_for(endpoint, slug=slug)
    pattern = _pattern(endpoint, slug is not None)
    return pattern if slug is None else pattern.replace(_SLUG, slug)


def _pattern(endpoint: str, with_slug: bool) -> str:
    """The endpoint's link, with ``_SLUG`` standing for the slug when ``with_slug``. Kept by
    the app: a link depends only on its endpoint, its values and the path the shop is
    mounted at (as ``web.remembered_url_for`` notes), and building one costs as much as a
    card's price."""
    # (mounted at, endpoint, with a slug) -> link: a handful of endpoints, so it stays small.
    patterns = contexts.app().extensions.setdefault("catalog_link_patterns", {})
    key = (contexts.this_request().script_root, endpoint, with_slug)
    pattern = patterns.get(key)
    if pattern is None:
        pattern = patterns[key] = url_for(endpoint, slug=_SLUG) if with_slug else url_for(endpoint)
    return pattern


def availability_badge(availability: Availability | None) -> Markup:
    if availability is None:
        return _EMPTY
    return _html(_badge(availability.css_name, availability.label))


@functools.lru_cache(maxsize=1024)
def _badge(css_name: str, label: str) -> str:
    """A badge's HTML: a few states and labels ("Only 2 left", "Preorder: published ..."),
    each written once rather than once a card."""
    return f'<span class="badge badge-{text(css_name)}">{text(label)}</span>'


@functools.lru_cache(maxsize=4096, typed=True)  # typed: True is refused, not taken for 1 cent
def _money(cents: int, currency: str) -> str:
    """An amount's escaped text: a few hundred prices, each written once rather than once a
    card."""
    return str(e(format_cents(cents, currency)))


def priced(
    cents: int, editions: Sequence, prefix: str = "", context: CardContext | None = None
) -> Markup:
    """A price with the member price beside it (``member_offer`` of bookstore/deals): members
    see what they pay, with the usual price struck through; other visitors see what members
    pay, with a link to join. A page of several prices passes one ``context``."""
    if context is None:
        member_offer: Callable | None = current_app.jinja_env.globals.get("member_offer")  # type: ignore[assignment]
        currency = _currency()
    else:
        member_offer, currency = context.member_offer, context.currency
    offer = member_offer(editions) if member_offer is not None else None
    join = context.join if context is not None else None
    return _html(_price(cents, offer, e(prefix), currency, join))


def _price(cents: int, offer, prefix: str, currency: str, join: str | None = None) -> str:
    """``priced``'s HTML, given the member offer (or None); ``prefix`` is HTML already;
    ``join``: the membership page's link, escaped, when the caller has it."""
    if offer is not None and offer.for_member:
        return (
            f'<span class="price price-member">{prefix}{_money(offer.cents, currency)}'
            '</span> <span class="member-price-note">member price, usually '
            f"<s>{_money(cents, currency)}</s></span>"
        )
    html = f'<span class="price">{prefix}{_money(cents, currency)}</span>'
    if offer is not None:
        href = join if join is not None else e(link("members.membership"))
        members_pay = _money(offer.cents, currency)
        html += f' <a class="members-pay" href="{href}">Members pay {members_pay}</a>'
    return html


def rating_line(book, cls: str = "book-card-rating") -> Markup:
    """The average of readers' published reviews, kept on the book (nothing without one)."""
    if not book.review_count:
        return _EMPTY
    average = book.average_rating
    stars = int(round(average))
    noun = "review" if book.review_count == 1 else "reviews"
    return _html(
        f'<p class="{e(cls)}"><span class="stars" aria-hidden="true">'
        f"{'★' * stars}{'☆' * (5 - stars)}</span> "
        f'<span class="visually-hidden">Rated</span> {e(average)}'
        '<span class="visually-hidden"> out of 5 from</span> '
        f'({e(book.review_count)}<span class="visually-hidden"> {noun}</span>)</p>'
    )


def cover_image(
    book,
    size: str = "small",
    sizes: str = "(max-width: 40rem) 45vw, 12rem",
    alt: str = "",
    width: int = 160,
    height: int = 240,
    lazy: bool = True,
) -> Markup:
    if book.cover_image:
        src, srcset = cover_url(book, size), cover_srcset(book)
    else:  # the generated SVG: one width, no srcset
        src, srcset = link("catalog.cover", book.slug), ""
    return _html(_img(src, srcset, sizes, alt, width, height, lazy))


def _img(src: str, srcset: str, sizes: str, alt: str, width: int, height: int, lazy: bool) -> str:
    widths = f' srcset="{e(srcset)}" sizes="{e(sizes)}"' if srcset else ""
    loading = ' loading="lazy"' if lazy else ' fetchpriority="high"'
    return (
        f'<img class="cover" src="{e(src)}"{widths} alt="{e(alt)}" width="{int(width)}" '
        f'height="{int(height)}"{loading} decoding="async">'
    )


def book_card(
    book,
    level: int = 3,
    note: str | None = None,
    lazy: bool = True,
    context: CardContext | None = None,
) -> Markup:
    """One card: cover and title linking to the book, authors, a note (a role, a series
    number), the rating, the lowest price and the most hopeful availability. A list passes
    one ``context`` for all its cards."""
    c = context if context is not None else CardContext()
    found = book_summary(book, c.today, c.threshold, c.lapsed)
    price = ""
    if found.min_price_cents is not None:
        offer = c.member_offer(found.priced) if c.member_offer is not None else None
        prefix = "from " if found.several_prices else ""
        price = _price(found.min_price_cents, offer, prefix, c.currency, c.join)
    byline = (
        f'\n  <p class="book-card-byline">{text(author_names(book))}</p>' if book.authors else ""
    )
    noted = f'\n  <p class="book-card-note">{text(note)}</p>' if note else ""
    rated = f"\n  {rating_line(book)}" if book.review_count else ""
    level = int(level)
    slug = text(book.slug)
    cover: str
    if book.cover_image:
        cover = cover_image(book, lazy=lazy)
    else:  # the generated SVG (most books), linked through the list's pattern
        cover = c.cover[bool(lazy)].replace(_SLUG, slug)
    availability = found.availability
    badge = _badge(availability.css_name, availability.label) if availability is not None else ""
    return _html(
        '<article class="book-card">\n'
        f'  <a class="book-card-link" href="{c.book.replace(_SLUG, slug)}">\n'
        f"    {cover}\n"
        f'    <h{level} class="book-card-title">{text(book.title)}</h{level}>\n'
        f"  </a>{byline}{noted}{rated}\n"
        f'  <p class="book-card-meta">{price} {badge}</p>\n'
        "</article>"
    )


def _html(text: str) -> Markup:
    """HTML put together above: every value in it went through ``e`` (markupsafe.escape)."""
    return Markup(text)  # noqa: S704
