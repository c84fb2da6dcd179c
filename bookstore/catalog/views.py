"""Catalog pages: browse, book, contributor, series, subject, covers (search: search_views)."""

from pathlib import PurePosixPath

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
)
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.wrappers import Response

from bookstore.catalog import book_html, filters, listing, page_html, services
from bookstore.catalog.book_page import book_page
from bookstore.catalog.book_rows import PageBook
from bookstore.catalog.card_html import link
from bookstore.catalog.covers import cover_etag, cover_svg
from bookstore.catalog.jsonld import add_registered_parts, book_jsonld
from bookstore.catalog.kept_layout import page_in_layout
from bookstore.catalog.models import Book
from bookstore.errors import NotFound
from bookstore.links import base_url, external_url
from bookstore.page_cache import cached_page

bp = Blueprint("catalog", __name__)
filters.register(bp)

COVER_MAX_AGE = 24 * 3600
UPLOADED_COVER_TYPES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}


def _page_size() -> int:
    return int(current_app.config.get("PAGE_SIZE", 24))


@bp.get("/books")
@cached_page(params=listing.QUERY_PARAMS)
def browse():
    try:
        page, choices = services.browse(request.args, filters.shop_today(), _page_size())
    except NotFound as exc:
        abort(404, description=str(exc))
    return page_in_layout("catalog/browse.html", **page_html.browse_values(page, choices))


@bp.get("/books/<slug>")
# A signed-in reader's own review, votes, wishlist and alerts are visitor parts of the page.
@cached_page
def book(slug: str):
    try:
        detail = services.book_detail(slug)
    except NotFound as exc:
        abort(404, description=str(exc))
    url = _external_link("catalog.book", slug)
    cover = base_url() + _cover_link(detail.book)
    jsonld = book_jsonld(
        detail,
        today=filters.shop_today(),
        low_stock_threshold=int(current_app.config.get("LOW_STOCK_THRESHOLD", 3)),
        currency=current_app.config.get("CURRENCY", "USD"),
        url=url,
        image=cover,
        person_url=lambda s: _external_link("catalog.contributor", s),
        lapsed=filters.lapsed_holds(),
    )
    add_registered_parts(current_app, detail.book, jsonld)
    # Link previews show raster pictures only: the uploaded cover, or the generated one's PNG.
    shown = detail.book
    preview = cover if shown.cover_image else base_url() + link("catalog.cover_png", shown.slug)
    return book_page(detail.book, book_html.book_content(detail), jsonld, url, preview)


def _cover_link(book: PageBook) -> str:
    """The book's large cover, as ``filters.cover_url`` gives it; a generated cover's link
    from the pattern the page's links share (``url_for`` cost nearly as much as the rest of
    the JSON-LD)."""
    return filters.cover_url(book) if book.cover_image else link("catalog.cover", book.slug)


_SLUG = "0slug0"  # stands for a slug in a link pattern


def _external_link(endpoint: str, slug: str) -> str:
    """``external_url(endpoint, slug=slug)`` from a pattern this app builds once per endpoint:
    building an absolute link binds the URL map anew, and a book page makes one for the
    book and one for each of its contributors."""
    if not (slug.isascii() and slug.replace("-", "").isalnum()):  # would need quoting
        return external_url(endpoint, slug=slug)
    patterns = current_app.extensions.setdefault("catalog_external_links", {})
    pattern = patterns.get(endpoint)
    if pattern is None:
        pattern = patterns[endpoint] = external_url(endpoint, slug=_SLUG)
    return pattern.replace(_SLUG, slug)


@bp.get("/authors/<slug>")
@cached_page(params=listing.QUERY_PARAMS)
def contributor(slug: str):
    try:
        found = services.contributor_page(slug, request.args, filters.shop_today(), _page_size())
    except NotFound as exc:
        abort(404, description=str(exc))
    return render_template(
        "catalog/contributor.html", person=found.contributor, page=found.books, roles=found.roles
    )


@bp.get("/series/<slug>")
@cached_page(params=listing.QUERY_PARAMS)
def series(slug: str):
    try:
        found, page = services.series_page(slug, request.args, filters.shop_today(), _page_size())
    except NotFound as exc:
        abort(404, description=str(exc))
    return render_template("catalog/series.html", series=found, page=page)


@bp.get("/subjects/<slug>")
@cached_page(params=listing.QUERY_PARAMS)
def subject(slug: str):
    try:
        found, page = services.subject_page(slug, request.args, filters.shop_today(), _page_size())
    except NotFound as exc:
        abort(404, description=str(exc))
    return render_template("catalog/subject.html", subject=found, page=page, sorts=listing.SORTS)


@bp.get("/covers/<slug>.svg")
def cover(slug: str):
    """A generated cover: the same URL always gives the same picture, so caches may keep it."""
    book = _cover_book(slug)
    svg = cover_svg(book.title, [p.name for p in book.authors], key=book.slug)
    return _cover_response(svg, "image/svg+xml", cover_etag(svg))


@bp.get("/covers/<slug>.png")
def cover_png(slug: str):
    """The generated cover as a PNG, for link previews and emails (which show no SVG); drawn
    only when the asker does not have it already."""
    book = _cover_book(slug)
    authors = tuple(p.name for p in book.authors)
    etag = cover_etag(cover_svg(book.title, list(authors), key=book.slug)) + "-png"
    if request.if_none_match.contains(etag):
        return _cover_response(b"", "image/png", etag)
    # Pillow is loaded by the first worker that draws one, not by every worker at start.
    from bookstore.catalog.cover_png import cover_png as draw  # noqa: PLC0415

    return _cover_response(draw(book.title, authors, book.slug), "image/png", etag)


def _cover_book(slug: str) -> Book:
    try:
        return services.cover_book(slug)
    except NotFound as exc:
        abort(404, description=str(exc))


def _cover_response(body: str | bytes, mimetype: str, etag: str) -> Response:
    response = current_app.response_class(body, mimetype=mimetype)
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = COVER_MAX_AGE
    return response.make_conditional(request)


@bp.get("/covers/files/<path:filename>")
def cover_file(filename: str):
    """An uploaded cover image from the COVER_DIR folder."""
    if PurePosixPath(filename).suffix.lower() not in UPLOADED_COVER_TYPES:
        abort(404)
    folder = current_app.config["COVER_DIR"]
    try:
        return send_from_directory(folder, filename, max_age=COVER_MAX_AGE)
    except HTTPNotFound:
        # Covers uploaded before the medium width existed have only small and large files.
        if not filename.endswith("-medium.jpg"):
            raise
        large = filename.removesuffix("-medium.jpg") + "-large.jpg"
        return send_from_directory(folder, large, max_age=COVER_MAX_AGE)


# The search page lives in its own module; importing it registers its route on ``bp``.
from bookstore.catalog import search_views  # noqa: E402, F401
