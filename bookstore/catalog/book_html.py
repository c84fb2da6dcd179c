"""The book page's content in HTML: breadcrumbs, heading, editions, description, series,
details, the sections other features add (reviews) and the related books.

A book page is mostly a first visit, so it is rendered on nearly every view. Rendered by
Jinja it cost more than the rest of the request together (macro calls, includes per edition,
``url_for`` and escaping through context lookups); written here once, in Python, with
f-strings over ``e`` (``html_text.text``: markupsafe's escaping, giving a plain ``str``), as
the book cards are (``card_html``), it costs a fraction of that with the same HTML. Each part
of the page is one small function.

Features above the catalog add their parts without the catalog importing them: an edition's
add-to-cart form and its Save for later and alert buttons (``register_edition_part``) and
the reviews under the book (``register_book_section``). A part writes its values through
``e`` too, and gives a ``str`` of HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Flask, current_app
from markupsafe import Markup

from bookstore.catalog.availability import (
    Availability,
    StockState,
    edition_availability,
    format_date,
)
from bookstore.catalog.book_rows import BookLink, PageBook, PageEdition, PagePerson
from bookstore.catalog.card_html import (
    CardContext,
    availability_badge,
    cover_image,
    link,
    priced,
    rating_line,
)
from bookstore.catalog.cards import book_cards
from bookstore.catalog.filters import language_names
from bookstore.catalog.html_text import text as e
from bookstore.catalog.isbn import hyphenate_isbn13
from bookstore.catalog.models import ContributorRole
from bookstore.catalog.services import BookDetail
from bookstore.delivery import page_delivery

_EDITION_PARTS = "bookstore.book_page_edition_parts"
_SECTIONS = "bookstore.book_page_sections"

# An edition's part: (edition, its availability now) -> HTML.
EditionPart = Callable[[PageEdition, Availability], str]
# Makes a page's EditionPart, looking up once what every edition of the page shares.
EditionPartMaker = Callable[[], EditionPart]
# A section under the book: (book) -> HTML.
BookSection = Callable[[PageBook], str]


@dataclass(frozen=True)
class _Registered:
    order: int
    part: Callable


def register_edition_part(app: Flask, make_part: EditionPartMaker, *, order: int) -> None:
    """Show a part in each edition of the book page, under its price and before the delivery
    promise; parts come in ``order``. ``make_part()`` is called once a page and gives the
    function called for each edition, ``part(edition, availability)``."""
    _register(app, _EDITION_PARTS, make_part, order)


def register_book_section(app: Flask, part: BookSection, *, order: int) -> None:
    """Show ``part(book)`` under the book, before the related books; sections come in
    ``order``."""
    _register(app, _SECTIONS, part, order)


def _register(app: Flask, key: str, part: Callable, order: int) -> None:
    registered = [*app.extensions.get(key, ()), _Registered(order, part)]
    app.extensions[key] = tuple(sorted(registered, key=lambda r: r.order))


def _registered(key: str) -> list[Callable]:
    return [r.part for r in current_app.extensions.get(key, ())]


def book_content(detail: BookDetail) -> Markup:
    """The page's content block: everything between the layout's header and footer."""
    book = detail.book
    sections = [section(book) for section in _registered(_SECTIONS)]
    return _html(
        "\n".join(
            [
                breadcrumbs(book),
                '<article class="book-detail">',
                '<div class="book-cover">',
                cover(book),
                "</div>",
                '<div class="book-info">',
                heading(book, detail.credits_by_role),
                editions_section(book, detail.editions),
                description(book),
                series_nav(book, detail.previous, detail.next),
                details(book),
                "</div>",
                "</article>",
                *sections,
                related_books(detail.also_like),
            ]
        )
    )


def breadcrumbs(book: PageBook) -> str:
    """Books > the book's first subject > the book."""
    subject = ""
    if book.subjects:
        first = book.subjects[0]
        href = e(link("catalog.subject", first.slug))
        subject = f'<li><a href="{href}">{e(first.name)}</a></li>\n'
    return (
        '<nav class="breadcrumbs" aria-label="Breadcrumb">\n<ol>\n'
        f'<li><a href="{e(link("catalog.browse"))}">Books</a></li>\n'
        f'{subject}<li><span aria-current="page">{e(book.title)}</span></li>\n'
        "</ol>\n</nav>"
    )


def cover(book: PageBook) -> str:
    """The large cover, loaded first: it is the page's largest picture."""
    sizes = "(max-width: 46rem) 12rem, 18rem"
    return cover_image(book, "large", sizes, f"Cover of {book.title}", 300, 450, False)


def heading(book: PageBook, credits_by_role: list[tuple[ContributorRole, list[PagePerson]]]) -> str:
    """Title, subtitle, one line of credits per role (authors first) and the rating."""
    lines = [f"<h1>{e(book.title)}</h1>"]
    if book.subtitle:
        lines.append(f'<p class="subtitle">{e(book.subtitle)}</p>')
    lines.extend(credit_line(role, people) for role, people in credits_by_role)
    if book.review_count:
        lines.append(
            f'<a class="rating-link" href="#reviews">{rating_line(book, "book-rating")}</a>'
        )
    lines.append(SHARE)
    return '<header class="book-heading">\n' + "\n".join(lines) + "\n</header>"


# Share the book (the phone's share sheet, else copy its link): shown by site.js where the
# browser can do either; the same on every book page.
SHARE = (
    '<p class="share-line" data-share hidden><button type="button" class="link-button">'
    'Share this book</button> <span class="share-status" role="status" data-share-status>'
    "</span></p>"
)


def credit_line(role: ContributorRole, people: Sequence[PagePerson]) -> str:
    """``by A, B and C``, ``Translator: D``, ``Introduction by E``, each name a link."""
    if role is ContributorRole.AUTHOR:
        lead = "by"
    elif role is ContributorRole.INTRODUCTION:
        lead = role.label
    else:
        lead = f"{role.label}:"
    names = [
        f'<a href="{e(link("catalog.contributor", person.slug))}">{e(person.name)}</a>'
        for person in people
    ]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f'<p class="credit">{e(lead)}\n{joined}\n</p>'


def editions_section(book: PageBook, editions: Sequence[PageEdition]) -> str:
    """Each edition for sale with its price, availability, the features' parts (add to cart,
    alerts) and its facts; or a note that the book is not for sale."""
    if editions:
        shown = _EditionsShown([make() for make in _registered(_EDITION_PARTS)])
        items = "\n".join(shown.item(book, edition) for edition in editions)
        body = f'<ul class="edition-list">\n{items}\n</ul>'
    else:
        body = "<p>This book is not for sale at the moment.</p>"
    return (
        '<section class="editions" aria-labelledby="editions-heading">\n'
        f'<h2 id="editions-heading">Editions</h2>\n{body}\n</section>'
    )


class _EditionsShown:
    """What the editions of one page share: the day, the stock rules, the member prices
    (``CardContext``), the features' parts and the delivery promise (worked out at the first
    edition that shows it)."""

    def __init__(self, parts: list[EditionPart]) -> None:
        self.parts = parts
        self.context = CardContext()
        self.promise: str | None = None

    def item(self, book: PageBook, edition: PageEdition) -> str:
        """One edition's ``<li>``."""
        c = self.context
        av = edition_availability(edition, c.today, c.threshold, c.lapsed.get(edition.id, 0))
        price = priced(edition.price_cents, [edition], context=c)
        lines = [
            '<li class="edition">',
            f'<h3 class="edition-format">{e(edition.format.label)}</h3>',
            f'<p class="edition-price">{price} {availability_badge(av)}</p>',
            *(part(edition, av) for part in self.parts),
        ]
        if av.can_buy and edition.is_physical and av.state is not StockState.PREORDER:
            if self.promise is None:
                self.promise = delivery_promise()
            lines.append(self.promise)
        lines += [edition_facts(book, edition), "</li>"]
        return "\n".join(lines)


def delivery_promise() -> str:
    """When a copy ordered now arrives, by standard shipping (and express)."""
    delivery = page_delivery()
    standard, express = delivery.promises["standard"], delivery.promises.get("express")
    or_express = f", or {e(express.arrives_by_label)} with express" if express else ""
    return (
        '<p class="delivery-promise">\n'
        f"<strong>Arrives by {e(standard.arrives_by_label)}</strong> "
        f"with standard shipping{or_express}.\n"
        f'<span class="muted">Orders before {e(delivery.cutoff)} on a business day leave the '
        "same day.</span>\n</p>"
    )


def edition_facts(book: PageBook, edition: PageEdition) -> str:
    """ISBN, pages, and the edition's date when it is not the book's."""
    facts = [f'<dt>ISBN</dt><dd class="isbn">{e(hyphenate_isbn13(edition.isbn13))}</dd>']
    if edition.pages:
        facts.append(f"<dt>Pages</dt><dd>{e(edition.pages)}</dd>")
    if edition.published_on and edition.published_on != book.published_on:
        facts.append(f"<dt>Published</dt><dd>{e(format_date(edition.published_on))}</dd>")
    return '<dl class="edition-facts">\n' + "\n".join(facts) + "\n</dl>"


def description(book: PageBook) -> str:
    """The publisher's description, a paragraph per blank line; nothing without one."""
    if not book.description:
        return ""
    paragraphs = "".join(f"<p>{e(text)}</p>" for text in book.description.split("\n\n"))
    return (
        '<h2 class="about-heading">About this book</h2>\n'
        f'<div class="book-description">\n{paragraphs}\n</div>'
    )


def series_nav(book: PageBook, previous: BookLink | None, following: BookLink | None) -> str:
    """The series the book belongs to, with the books before and after it; nothing outside
    a series."""
    if book.series is None:
        return ""
    place = f"Book {e(book.series_position)} of" if book.series_position else "Part of"
    series = f'<a href="{e(link("catalog.series", book.series.slug))}">{e(book.series.name)}</a>'
    neighbours = ""
    if previous or following:
        items = []
        if previous:
            items.append(_neighbour("series-prev", "prev", "Previous:", previous))
        if following:
            items.append(_neighbour("series-next", "next", "Next:", following))
        neighbours = "\n<ul>\n" + "\n".join(items) + "\n</ul>"
    return (
        '<nav class="series-nav" aria-label="Series">\n'
        f"<p>\n{place}\n{series}\n</p>{neighbours}\n</nav>"
    )


def _neighbour(cls: str, rel: str, label: str, book: BookLink) -> str:
    href = e(link("catalog.book", book.slug))
    return (
        f'<li class="{cls}"><a href="{href}" rel="{rel}">'
        f'<span class="muted">{label}</span> {e(book.title)}</a></li>'
    )


def details(book: PageBook) -> str:
    """Publication date, languages, original title and subjects."""
    published = format_date(book.published_on) if book.published_on else "Date to be announced"
    bilingual = " (bilingual edition)" if len(book.language_codes) > 1 else ""
    facts = [
        f"<dt>Published</dt><dd>{e(published)}</dd>",
        f"<dt>Language</dt><dd>{e(language_names(book))}{bilingual}</dd>",  # type: ignore[arg-type]
    ]
    if book.original_title:
        facts.append(f'<dt>Original title</dt><dd lang="ru">{e(book.original_title)}</dd>')
    if book.subjects:
        subjects = ", ".join(
            f'<a href="{e(link("catalog.subject", s.slug))}">{e(s.name)}</a>' for s in book.subjects
        )
        facts.append(f"<dt>Subjects</dt>\n<dd>{subjects}</dd>")
    return (
        '<section class="book-facts" aria-labelledby="details-heading">\n'
        '<h2 id="details-heading">Details</h2>\n<dl>\n' + "\n".join(facts) + "\n</dl>\n</section>"
    )


def related_books(books: Sequence) -> str:
    """The "You might also like" cards: the same series first, then the same subjects."""
    if not books:
        return ""
    cards = "\n".join(f"<li>{card}</li>" for card in book_cards(books, 3, None, 0))
    return (
        '<section class="related" aria-labelledby="related-heading">\n'
        '<h2 id="related-heading">You might also like</h2>\n'
        f'<ul class="book-grid">\n{cards}\n</ul>\n</section>'
    )


def _html(text: str) -> Markup:
    """HTML put together above: every value in it went through ``e`` (markupsafe's escaping)."""
    return Markup(text)  # noqa: S704
