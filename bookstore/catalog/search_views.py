"""The search page (registered on the catalog blueprint): ``/search?q=...&page=N``."""

from flask import render_template, request

from bookstore.catalog.search import search_books
from bookstore.catalog.views import bp
from bookstore.extensions import db
from bookstore.page_cache import cached_page


@bp.get("/search")
@cached_page
def search():
    """Search results, or a helpful page when the query is empty or finds nothing."""
    page = request.args.get("page", 1, type=int) or 1
    # exact=1: the words as typed, without the spelling correction ("Search instead for").
    correct = request.args.get("exact") != "1"
    results = search_books(db.session, request.args.get("q", ""), page=page, correct=correct)
    response = render_template("catalog/search.html", results=results)
    # Result pages are many and thin: let robots follow the books, not index the queries.
    return response, 200, {"X-Robots-Tag": "noindex, follow"}
