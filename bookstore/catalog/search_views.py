"""The search page (registered on the catalog blueprint): ``/search?q=...&page=N``."""

from flask import current_app, jsonify, request, url_for

from bookstore.catalog import page_html
from bookstore.catalog.kept_layout import page_in_layout
from bookstore.catalog.search import MAX_QUERY_LENGTH, search_books
from bookstore.catalog.suggest import suggest
from bookstore.catalog.views import bp
from bookstore.extensions import db, limiter
from bookstore.page_cache import cached_page

SUGGEST_MAX_AGE = 300  # seconds a browser or proxy may reuse an answer
_SUGGEST_ENDPOINTS = {
    "title": "catalog.book",
    "person": "catalog.contributor",
    "series": "catalog.series",
}


@bp.get("/search")
@cached_page(params=("q", "page", "exact"))
def search():
    """Search results, or a helpful page when the query is empty or finds nothing."""
    page = request.args.get("page", 1, type=int) or 1
    # exact=1: the words as typed, without the spelling correction ("Search instead for").
    correct = request.args.get("exact") != "1"
    results = search_books(db.session(), request.args.get("q", ""), page=page, correct=correct)
    response = page_in_layout(
        "catalog/search.html",
        **page_html.search_values(results, site_search=request.args.get("q", "")),
    )
    # Result pages are many and thin: let robots follow the books, not index the queries.
    return response, 200, {"X-Robots-Tag": "noindex, follow"}


def _suggest_limit() -> str:
    return current_app.config.get("SUGGEST_RATELIMIT", "120/minute")


@bp.get("/search/suggest")
@limiter.limit(_suggest_limit)
def search_suggest():
    """Suggestions for the search box as JSON: titles, people and series (see suggest)."""
    typed = request.args.get("q", "")[:MAX_QUERY_LENGTH]
    items = [
        {
            "kind": item.kind,
            "label": item.label,
            "detail": item.detail,
            "url": url_for(_SUGGEST_ENDPOINTS[item.kind], slug=item.slug),
        }
        for item in suggest(db.session(), typed)
    ]
    response = jsonify(query=typed, suggestions=items)
    # The same letters get the same answer for everyone: browsers and proxies may keep it.
    response.cache_control.public = True
    response.cache_control.max_age = SUGGEST_MAX_AGE
    response.headers["X-Robots-Tag"] = "noindex"
    return response
