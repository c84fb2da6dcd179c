"""The browse and search pages' values for their layout (catalog/kept_layout.py): title, head
and content, written as f-strings over ``e`` as the lists' parts are (list_html.py). The
whitespace is the one their templates gave when Jinja wrote the content.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app
from jinja2.filters import do_truncate
from markupsafe import Markup
from markupsafe import escape as e

from bookstore.catalog import list_html
from bookstore.catalog.card_html import link
from bookstore.catalog.listing import BookPage
from bookstore.catalog.search import SearchResults


def browse_values(page: BookPage, choices: Mapping) -> dict[str, str | Markup]:
    """The browse page's title, head (robots and canonical link) and content."""
    f = page.filters
    title = f"{f.subject.name} · Books" if f.subject else "Books"
    if page.page > 1:
        title += f" · page {page.page}"
    robots = (
        '<meta name="robots" content="noindex, follow">'
        if f.is_filtered or f.sort != "newest"
        else ""
    )
    canonical = e(list_html.browse_canonical(page))
    if page.books:
        books = f"\n    {list_html.book_grid(page.books)}\n    "
    else:
        every = e(link("catalog.browse"))
        books = f'\n    <p>Try fewer filters, or <a href="{every}">see every book</a>.</p>\n    '
    content = (
        '\n<h1>Books</h1>\n<div class="browse-layout">\n  \n  '
        f"{list_html.browse_filters(page, choices)}"
        '\n  <section class="results" aria-labelledby="results-heading">'
        '\n    <h2 id="results-heading" class="visually-hidden">Results</h2>'
        f"\n    {list_html.result_count(page)}"
        f"\n    {books}"
        f"\n    {list_html.pagination(page)}"
        "\n  </section>\n</div>\n"
    )
    return {
        "title": title,
        "head": _html(f'\n{robots}\n<link rel="canonical" href="{canonical}">\n'),
        "content": _html(content),
    }


def search_values(results: SearchResults, site_search: str) -> dict[str, str | Markup]:
    """The search page's title, the header's search box text (``site_search``: the words as
    typed) and content (its head is the same for every search)."""
    text = results.query.text
    if text:
        title = f"Search: {do_truncate(current_app.jinja_env, text, 60)}"
        heading = f"\n<h1>Search results for “{e(text)}”</h1>\n"
    else:
        title, heading = "Search", "\n<h1>Search the books</h1>\n"
    if results.query.is_empty:
        found = _empty_search(text)
    elif results.books:
        found = _found(results)
    else:
        found = _nothing_found(results)
    subjects = ""
    if results.subjects:
        items = "".join(
            f'\n    <li><a href="{e(link("catalog.subject", s.slug))}">{e(s.name)}</a></li>\n    '
            for s in results.subjects
        )
        subjects = (
            '\n<section class="search-subjects" aria-labelledby="search-subjects-heading">'
            '\n  <h2 id="search-subjects-heading">Browse by subject</h2>'
            f"\n  <ul>\n    {items}\n  </ul>\n</section>\n"
        )
    content = (
        f"\n{heading}\n"
        '<form class="search-page-form" role="search" aria-label="Search the books" '
        f'action="{e(link("catalog.search"))}" method="get">'
        '\n  <label for="search-page-q">Title, author, translator, series, subject words or '
        "ISBN</label>"
        f'\n  <input id="search-page-q" type="search" name="q" value="{e(text)}" maxlength="200">'
        '\n  <button type="submit">Search</button>\n</form>\n\n'
        f"{found}\n\n{subjects}\n"
    )
    return {"title": title, "site_search": site_search, "content": _html(content)}


def _empty_search(text: str) -> str:
    """What to search for, or that the words typed had nothing to look for."""
    if text:
        said = (
            '<p class="search-status" role="status">Your search had no letters or numbers to '
            "look for. Try a word from a title or an author’s name.</p>"
        )
    else:
        said = (
            '<p class="search-status">Search by title, author, translator, series or ISBN '
            "(with or without hyphens). The start of a word is enough: “dach” finds "
            "<i>Murder at the Dacha</i>.</p>"
        )
    return f"\n  \n  {said}\n  \n"


def _found(results: SearchResults) -> str:
    """The books found, their status line and page links, with a spelling correction."""
    corrected = ""
    if results.corrected:
        url_for = current_app.jinja_env.globals["url_for"]
        text = results.query.text
        fixed = e(url_for("catalog.search", q=results.corrected))  # type: ignore[operator]
        instead = e(url_for("catalog.search", q=text, exact=1))  # type: ignore[operator]
        corrected = (
            '\n  <p class="search-correction">Showing results for <strong>'
            f'<a href="{fixed}">{e(results.corrected)}</a></strong>. '
            '<span class="search-instead">Search instead for '
            f'<a href="{instead}">{e(text)}</a>.</span></p>\n  '
        )
    return (
        f"\n  {corrected}\n  \n  {list_html.search_status(results)}"
        '\n  <section aria-labelledby="search-results-heading">'
        '\n    <h2 id="search-results-heading" class="visually-hidden">Results</h2>'
        f"\n    {list_html.book_grid(results.books, level=3)}"
        f"\n  </section>\n  {list_html.search_pagination(results)}\n"
    )


def _nothing_found(results: SearchResults) -> str:
    """That no book matches, a spelling that might, and tips."""
    text = results.query.text
    maybe = ""
    if results.did_you_mean:
        url_for = current_app.jinja_env.globals["url_for"]
        other = e(url_for("catalog.search", q=results.did_you_mean))  # type: ignore[operator]
        maybe = (
            f'\n  <p class="did-you-mean">Did you mean <a href="{other}">'
            f"{e(results.did_you_mean)}</a>?</p>\n  "
        )
    every = e(link("catalog.browse"))
    return (
        f'\n  <p class="search-status" role="status">No books match “{e(text)}”.</p>\n  {maybe}'
        '\n  <ul class="search-tips">'
        "\n    <li>Check the spelling, or use fewer words: every word must match.</li>"
        "\n    <li>Search by the start of a word (“tolst”) or by an ISBN.</li>"
        f'\n    <li><a href="{every}">Browse every book</a> and filter by subject, format or '
        "language.</li>\n  </ul>\n"
    )


def _html(text: str) -> Markup:
    """HTML put together above: every value in it went through ``e`` or is HTML already."""
    return Markup(text)  # noqa: S704
