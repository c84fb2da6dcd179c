"""The HTML around the cards of a book list: the grid, the result count and the page links
of every list, the browse page's filter form, and the status line and page links of a search.

These pieces are rendered on every list page the cache does not answer. As Jinja (the
catalog macros imported anew for each render, a loop over the subjects and formats, a macro
and a ``url_for`` for each page link) they were about a third of the browse page's template
time outside the cards. They are written here as f-strings over ``e`` (markupsafe's escape),
as the cards are in card_html; the browse and search templates call them directly, and the
macros of the same names (templates/catalog/_macros.html) serve the other lists.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlencode

from flask import current_app, request
from markupsafe import Markup
from markupsafe import escape as e

from bookstore.catalog.cards import book_cards
from bookstore.catalog.isbn import hyphenate_isbn13
from bookstore.catalog.listing import DEFAULT_SORT, BookPage
from bookstore.catalog.search import SearchResults
from bookstore.links import external_url

# The characters werkzeug leaves unquoted in a query string: links built here read as
# url_for's own.
_QUERY_SAFE = "!$'()*,/:;?@"


def _url_for(endpoint: str, **values) -> str:
    """The templates' ``url_for``, which remembers the links it built (bookstore/web.py)."""
    return current_app.jinja_env.globals["url_for"](endpoint, **values)  # type: ignore[operator]


def _with_query(path: str, args: Mapping[str, str | int]) -> str:
    """``path`` with ``args`` as its query string, quoted as werkzeug's ``url_for`` does."""
    return f"{path}?{urlencode(args, safe=_QUERY_SAFE)}" if args else path


def browse_canonical(page: BookPage) -> str:
    """The browse page's absolute address with its filters and page (its canonical link):
    the address of /books on the shop's address is kept by the app, as building an absolute
    link binds the URL map anew."""
    kept = current_app.extensions.setdefault("browse_external_url", {})
    shop = current_app.config["SHOP_BASE_URL"]
    path = kept.get(shop)
    if path is None:
        path = kept[shop] = external_url("catalog.browse")
    return _with_query(path, page.url_args())


def _options(choices: Iterable[tuple[str, str]], chosen: str | None) -> str:
    """``<option>``s of (value, name) pairs, the one whose value is ``chosen`` selected."""
    html = _unselected(tuple(choices))
    if chosen is None:
        return html
    # Escaping is one to one: the chosen value's escape is found only in its own option.
    value = e(chosen)
    return html.replace(f'<option value="{value}">', f'<option value="{value}" selected>')


@functools.lru_cache(maxsize=64)
def _unselected(choices: tuple[tuple[str, str], ...]) -> str:
    """The ``<option>``s of (value, name) pairs, none selected: the same few lists (subjects,
    formats, languages, sorts) on every list page, each escaped once rather than once a page."""
    return "".join(f'<option value="{e(value)}">{e(name)}</option>' for value, name in choices)


def _select(name: str, label: str, blank: str | None, options: str) -> str:
    """One labelled drop-down of the filter form; ``blank``: the option meaning "any"."""
    first = f'\n        <option value="">{blank}</option>' if blank is not None else ""
    return (
        '\n    <p class="field">'
        f'\n      <label for="f-{name}">{label}</label>'
        f'\n      <select id="f-{name}" name="{name}">{first}'
        f"\n        {options}"
        "\n      </select>"
        "\n    </p>"
    )


def book_grid(
    books: Sequence, level: int = 3, notes: Mapping[int, str] | None = None, eager: int = 6
) -> Markup:
    """The list's cards (bookstore/catalog/cards.py keeps each one rendered); ``eager``: how
    many cards load their cover at once (the first row), the rest loading lazily."""
    cards = "".join(f"\n  <li>{card}</li>" for card in book_cards(books, level, notes, eager))
    return _html(f'<ul class="book-grid">{cards}\n</ul>')


def browse_filters(page: BookPage, choices: Mapping) -> Markup:
    """The browse page's filter panel: a form of drop-downs, the current filters selected,
    collapsed on phones so the first books are on the first screen (static/css/catalog.css)."""
    f = page.filters
    active = sum(
        1 for chosen in (f.subject, f.format, f.series, f.language, f.availability) if chosen
    )
    counted = f' <span class="filters-active">({active} active)</span>' if active else ""
    browse = e(_url_for("catalog.browse"))
    fields = []
    if choices["subjects"] is not None:
        subjects = ((s.slug, s.name) for s in choices["subjects"])
        chosen = f.subject.slug if f.subject else None
        fields.append(_select("subject", "Subject", "All subjects", _options(subjects, chosen)))
    formats = ((fmt.value, fmt.label) for fmt in choices["formats"])
    chosen = f.format.value if f.format else None
    fields.append(_select("format", "Format", "All formats", _options(formats, chosen)))
    if choices["series"] is not None:
        series = ((s.slug, s.name) for s in choices["series"])
        chosen = f.series.slug if f.series else None
        fields.append(_select("series", "Series", "Any series", _options(series, chosen)))
    languages = _options(choices["languages"].items(), f.language)
    fields.append(_select("language", "Language", "Any language", languages))
    availability = _options(choices["availability"].items(), f.availability)
    fields.append(_select("availability", "Availability", "Everything", availability))
    fields.append(_select("sort", "Sort by", None, _options(choices["sorts"].items(), f.sort)))
    clear = f'<a href="{browse}">Clear all</a>' if f.is_filtered or f.sort != DEFAULT_SORT else ""
    return _html(
        '<details class="filters-panel" data-filters>\n'
        '  <summary class="filters-toggle"><span id="filters-heading">Filter and sort</span>'
        f"{counted}</summary>\n"
        f'  <form class="filters" action="{browse}" method="get" aria-labelledby="filters-heading">'
        f"{''.join(fields)}"
        '\n    <p class="filter-actions">'
        '\n      <button type="submit">Show books</button>'
        f"\n      {clear}"
        "\n    </p>"
        "\n  </form>"
        "\n  </details>"
    )


def result_count(page: BookPage, noun: str = "book", nouns: str = "books") -> Markup:
    """ "Showing 25–48 of 1,234 books", or that none match."""
    if not page.books:
        return _html(f'<p class="result-count" role="status">\n  No {e(nouns)} match.\n</p>')
    capped = "+" if page.total_capped else ""
    named = noun if page.total == 1 and not page.total_capped else nouns
    return _html(
        '<p class="result-count" role="status">\n'
        f"  Showing {page.first_index}–{page.last_index} of {page.total:,}{capped} {e(named)}\n"
        "</p>"
    )


def pagination(page: BookPage) -> Markup:
    """Links to the first, previous, next and last pages of a list (nothing for one page)."""
    number = page.page
    if number <= 1 and not page.has_next:
        return _html("")
    # This list's own address (a subject page's subject in its path) with its filters: the
    # first page's link; the others add their number, last as BrowseFilters.to_args puts it.
    path = _url_for(request.endpoint or "catalog.browse", **(request.view_args or {}))
    first = _with_query(path, page.url_args(page=1))
    numbered = f"{first}{'&' if '?' in first else '?'}page="

    def link(to: int, text: str, rel: str = "") -> str:
        href = e(first if to == 1 else f"{numbered}{to}")
        return f'\n    <li><a href="{href}"{rel}>{text}</a></li>'

    hidden = '<span class="visually-hidden"> page</span>'
    items = []
    if number > 1:
        if number > 2:
            items.append(link(1, "First"))
        items.append(link(number - 1, f"Previous{hidden}", ' rel="prev"'))
    last = page.last_page
    of = f" of {last}" if last else ""
    items.append(f'\n    <li><span aria-current="page">Page {number}{of}</span></li>')
    if page.has_next:
        items.append(link(number + 1, f"Next{hidden}", ' rel="next"'))
        if last and last > number + 1:
            items.append(link(last, "Last"))
    return _html(
        f'<nav class="pagination" aria-label="Pages">\n  <ul>{"".join(items)}\n  </ul>\n</nav>'
    )


def search_status(results: SearchResults) -> Markup:
    """What a search found: the book with the ISBN asked for, one book, or how many."""
    isbn = results.query.isbn
    if results.isbn_match and isbn:
        found = f"The book with ISBN {e(hyphenate_isbn13(isbn))}:"
    elif results.total == 1:
        found = "One book matches."
    else:
        plus = "+" if results.total_capped else ""
        found = f"{results.total:,}{plus} books match"
        if results.pages > 1:
            found += f"; showing {results.first_rank}–{results.first_rank + len(results.books) - 1}"
        found += "." + (" Add a word to narrow them down." if results.total_capped else "")
    return _html(f'<p class="search-status" role="status">\n    {found}\n  </p>')


def search_pagination(results: SearchResults) -> Markup:
    """Links to the previous and next pages of a search (nothing for one page), keeping its
    words and whether they are searched exactly as typed."""
    if results.pages <= 1:
        return _html("")
    path = _url_for("catalog.search")
    exact = {"exact": 1} if request.args.get("exact") == "1" else {}
    hidden = '<span class="visually-hidden"> page</span>'

    def link(to: int, text: str, rel: str) -> str:
        href = e(_with_query(path, {"q": results.query.text, "page": to, **exact}))
        return f'\n      <li><a href="{href}" rel="{rel}">{text}{hidden}</a></li>'

    items = []
    if results.page > 1:
        items.append(link(results.page - 1, "Previous", "prev"))
    items.append(
        f'\n      <li><span aria-current="page">Page {results.page} of {results.pages}</span></li>'
    )
    if results.page < results.pages:
        items.append(link(results.page + 1, "Next", "next"))
    return _html(
        '<nav class="pagination" aria-label="Result pages">\n    <ul>'
        f"{''.join(items)}\n    </ul>\n  </nav>"
    )


def _html(text: str) -> Markup:
    """HTML put together above: every value in it went through ``e`` or is a number."""
    return Markup(text)  # noqa: S704
