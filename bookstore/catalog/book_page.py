"""The book page as a whole: its values for the layout (title, description, JSON-LD) and the
layout around its content (templates/catalog/book.html on base.html).

A book page is mostly a first visit, so it is rendered on nearly every view, and rendering the
layout through Jinja cost a sixth of it. While a cacheable page renders
(``page_cache.part_scope``), the layout depends only on the audience, the page's endpoint,
where the shop is mounted, the page generation and the settings it shows: its per-visitor
values (CSRF token, name, cart count) are placeholders then, and no flashed message waits
(``cached_page`` renders such a page afresh), as the site header's kept part
(``page_cache.same_for_audience``) relies on too. So it is rendered once with a mark where
each of the page's values goes, and kept; a page puts its values between the pieces, escaped
as Jinja would. Every other page (staff, the cache off, a flashed message waiting) is rendered
by Jinja, from the same values.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from jinja2.filters import do_truncate
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from bookstore import page_cache
from bookstore.catalog.book_rows import PageBook
from bookstore.catalog.filters import author_names
from bookstore.catalog.html_text import text as e

TEMPLATE = "catalog/book.html"
# The page's values, in the order the layout shows them.
_VALUES = ("title", "description", "canonical", "jsonld", "content")
LAYOUTS_KEPT = 64  # (audience, mount point, settings) variants: a handful in a shop


def book_page(book: PageBook, content: Markup, jsonld: dict, canonical: str) -> str:
    """The book page's HTML: ``content`` in the layout, with the book's title, description,
    canonical link and JSON-LD in its head."""
    env = current_app.jinja_env
    title = f"{book.title} by {author_names(book)}" if book.authors else book.title  # type: ignore[arg-type]
    values = {
        "title": title,
        "description": do_truncate(env, book.description or book.title, 160),
        "canonical": canonical,
        "jsonld": htmlsafe_json_dumps(
            jsonld, dumps=env.policies["json.dumps_function"], **env.policies["json.dumps_kwargs"]
        ),
        "content": content,
    }
    pieces = _kept_layout() if page_cache.part_scope() is not None else None
    if pieces is None:
        return render_template(TEMPLATE, **values)
    html = [pieces[0]]
    for name, piece in zip(_VALUES, pieces[1:], strict=True):
        value = values[name]
        html += [value if isinstance(value, Markup) else e(value), piece]
    return "".join(html)


def _kept_layout() -> tuple[str, ...] | None:
    """The layout's pieces between the page's values, for this audience, mount point and
    settings, kept while the page generation stays the same; None if the layout does not
    show each value once (then Jinja renders the page)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    kept: dict[tuple, tuple[str, ...] | None] = page_cache.kept_while_unchanged(
        "book-page-layouts", dict
    )
    key = (
        page_cache.audience(),
        request.endpoint,
        request.script_root,
        config.get("SHOP_NAME"),
        bool(config.get("STRIPE_SECRET_KEY")),
        config.get("CUSTOMER_SERVICE_EMAIL"),
    )
    if key in kept:
        return kept[key]
    if len(kept) >= LAYOUTS_KEPT:
        kept.clear()
    # Letters, digits and dashes (escaping keeps them), keyed by the secret as the page
    # cache's placeholders are: nothing in the layout can be taken for one.
    mark = app.extensions["page_cache"]["mark"]
    marks = {name: Markup(f"book-page-{name}-{mark}") for name in _VALUES}  # noqa: S704
    html = render_template(TEMPLATE, **marks)
    pieces: list[str] = []
    for name in _VALUES:
        before, found, html = html.partition(marks[name])
        if not found or marks[name] in html:
            kept[key] = None
            return None
        pieces.append(before)
    pieces.append(html)
    kept[key] = found_pieces = tuple(pieces)
    return found_pieces
