"""Catalog pages in a kept layout: the page's values (title, head, content) put between the
pieces of its template, base.html rendered once per audience rather than on every page.

A catalog page (a book, browse, search) is mostly a first visit, so it is rendered on nearly
every view, and rendering the layout through Jinja cost a sixth of a book page. While a
cacheable page renders (``page_cache.part_scope``), the layout depends only on the audience,
the page's endpoint, where the shop is mounted, the page generation and the settings it
shows: its per-visitor values (CSRF token, name, cart count) are placeholders then, and no
flashed message waits (``cached_page`` renders such a page afresh), as the site header's kept
part (``page_cache.same_for_audience``) relies on too. So the page's template is rendered
once with a mark where each of its values goes, and kept; a page puts its values between the
pieces, escaped as Jinja would. Every other page (staff, the cache off, a flashed message
waiting) is rendered by Jinja, from the same values.

A page's template shows each of its values once, in the order the view passes them, and
works nothing out itself: the view computes the values in Python. The search page's header
shows the words searched for: base.html shows a page's ``site_search`` value in the search box.
"""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from bookstore import contexts, page_cache
from bookstore.catalog.html_text import text as e

LAYOUTS_KEPT = 64  # (template, audience, mount point, settings) variants: a handful in a shop


def page_in_layout(template: str, **values: str | Markup) -> str:
    """``template`` rendered with ``values`` (in the order it shows them): from its kept
    pieces while a cacheable page renders, by Jinja otherwise."""
    pieces = _kept_pieces(template, tuple(values)) if page_cache.part_scope() is not None else None
    if pieces is None:
        return render_template(template, **values)
    html = [pieces[0]]
    for value, piece in zip(values.values(), pieces[1:], strict=True):
        html += [value if isinstance(value, Markup) else e(value), piece]
    return "".join(html)


def _kept_pieces(template: str, names: tuple[str, ...]) -> tuple[str, ...] | None:
    """The template's pieces between its values, for this audience, mount point and
    settings, kept while the page generation stays the same; None if the template does not
    show each value once and in order (then Jinja renders the page)."""
    app = contexts.app()
    config = app.config
    kept: dict[tuple, tuple[str, ...] | None] = page_cache.kept_while_unchanged(
        "catalog-page-layouts", dict
    )
    asked = contexts.this_request()
    key = (
        template,
        names,
        page_cache.audience(),
        asked.endpoint,
        asked.script_root,
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
    marks = {name: Markup(f"kept-layout-{name}-{mark}") for name in names}  # noqa: S704
    html = render_template(template, **marks)
    pieces: list[str] = []
    for name in names:
        before, found, html = html.partition(marks[name])
        if not found or marks[name] in html:
            kept[key] = None
            return None
        pieces.append(before)
    pieces.append(html)
    kept[key] = found_pieces = tuple(pieces)
    return found_pieces
