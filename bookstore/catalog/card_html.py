"""The HTML of a book card and of its small parts (price, availability badge, rating, cover).

A list page shows dozens of cards, and Jinja macros calling macros cost more than the rest of
the page together; so these pieces are written here once, in Python, and the catalog macros of
the same names (templates/catalog/_macros.html) call them. Every value goes through ``e``
(markupsafe's escape, in C); plain f-strings put them together, as ``Markup.format`` costs
several times more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import current_app, g, url_for
from markupsafe import Markup
from markupsafe import escape as e

from bookstore.catalog.availability import Availability
from bookstore.catalog.filters import author_names, cover_srcset, cover_url, summary
from bookstore.money import format_cents

_SLUG = "0slug0"  # stands for a book's slug in a link made once a request (slugs are URL-safe)
_EMPTY = Markup("")


def _money(cents: int) -> str:
    return format_cents(cents, current_app.config.get("CURRENCY", "USD"))


def _link(endpoint: str, slug: str | None = None) -> str:
    """``url_for(endpoint)``, or ``url_for(endpoint, slug=slug)``, built once per request and
    endpoint (a book's link is the endpoint's with its slug put in)."""
    links = g.setdefault("_card_links", {})
    pattern = links.get(endpoint)
    if pattern is None:
        pattern = links[endpoint] = (
            url_for(endpoint) if slug is None else url_for(endpoint, slug=_SLUG)
        )
    return pattern if slug is None else pattern.replace(_SLUG, slug)


def availability_badge(availability: Availability | None) -> Markup:
    if availability is None:
        return _EMPTY
    state = availability.state.value.replace("_", "-")
    return _html(f'<span class="badge badge-{e(state)}">{e(availability.label)}</span>')


def priced(cents: int, editions: Sequence, prefix: str = "") -> Markup:
    """A price with the member price beside it (``member_offer`` of bookstore/deals): members
    see what they pay, with the usual price struck through; other visitors see what members
    pay, with a link to join."""
    member_offer: Callable | None = current_app.jinja_env.globals.get("member_offer")  # type: ignore[assignment]
    offer = member_offer(editions) if member_offer is not None else None
    if offer is not None and offer.for_member:
        return _html(
            f'<span class="price price-member">{e(prefix)}{e(_money(offer.cents))}</span> '
            '<span class="member-price-note">member price, usually '
            f"<s>{e(_money(cents))}</s></span>"
        )
    html = f'<span class="price">{e(prefix)}{e(_money(cents))}</span>'
    if offer is not None:
        join = e(_link("members.membership"))
        html += f' <a class="members-pay" href="{join}">Members pay {e(_money(offer.cents))}</a>'
    return _html(html)


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
        src, srcset = _link("catalog.cover", book.slug), ""
    widths = f' srcset="{e(srcset)}" sizes="{e(sizes)}"' if srcset else ""
    loading = ' loading="lazy"' if lazy else ' fetchpriority="high"'
    return _html(
        f'<img class="cover" src="{e(src)}"{widths} alt="{e(alt)}" width="{int(width)}" '
        f'height="{int(height)}"{loading} decoding="async">'
    )


def book_card(book, level: int = 3, note: str | None = None, lazy: bool = True) -> Markup:
    """One card: cover and title linking to the book, authors, a note (a role, a series
    number), the rating, the lowest price and the most hopeful availability."""
    found = summary(book)
    price = ""
    if found.min_price_cents is not None:
        prefix = "from " if found.several_prices else ""
        price = priced(found.min_price_cents, found.priced, prefix)
    byline = f'\n  <p class="book-card-byline">{e(author_names(book))}</p>' if book.authors else ""
    noted = f'\n  <p class="book-card-note">{e(note)}</p>' if note else ""
    rating = rating_line(book)
    rated = f"\n  {rating}" if rating else ""
    level = int(level)
    return _html(
        '<article class="book-card">\n'
        f'  <a class="book-card-link" href="{e(_link("catalog.book", book.slug))}">\n'
        f"    {cover_image(book, lazy=lazy)}\n"
        f'    <h{level} class="book-card-title">{e(book.title)}</h{level}>\n'
        f"  </a>{byline}{noted}{rated}\n"
        f'  <p class="book-card-meta">{price} {availability_badge(found.availability)}</p>\n'
        "</article>"
    )


def _html(text: str) -> Markup:
    """HTML put together above: every value in it went through ``e`` (markupsafe.escape)."""
    return Markup(text)  # noqa: S704
