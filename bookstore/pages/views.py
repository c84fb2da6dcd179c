"""Home, About and the files robots read (sitemap.xml, robots.txt)."""

from datetime import datetime
from urllib.parse import quote

from flask import Blueprint, abort, current_app, render_template, url_for
from werkzeug.routing import BuildError

from bookstore.dbtypes import utcnow
from bookstore.links import external_url
from bookstore.page_cache import cached_page
from bookstore.pages import sitemap
from bookstore.pages.services import home_page

bp = Blueprint("pages", __name__)

SITEMAP_MAX_AGE = 3600
# A slug placeholder: one url_for call per sitemap instead of one per row.
_SLUG = "__slug__"


@bp.get("/")
@cached_page
def home():
    return render_template("pages/home.html", home=home_page(utcnow()))


@bp.get("/about")
@cached_page
def about():
    return render_template("pages/about.html")


def _sitemap_kinds() -> list[str]:
    """Kinds whose pages exist in this app and are addressed by slug."""
    kinds = []
    for name, kind in sitemap.KINDS.items():
        try:
            url_for(kind.endpoint, slug=_SLUG)
        except BuildError:
            continue
        kinds.append(name)
    return kinds


def _xml(body: str):
    response = current_app.response_class(body, mimetype="application/xml")
    response.cache_control.public = True
    response.cache_control.max_age = SITEMAP_MAX_AGE
    return response


@bp.get("/sitemap.xml")
def sitemap_index():
    counts = sitemap.chunk_counts(_sitemap_kinds(), utcnow())
    chunks = [
        external_url("pages.sitemap_chunk", kind=name, number=n)
        for name, total in counts.items()
        for n in range(1, total + 1)
    ]
    pages = external_url("pages.sitemap_pages")
    return _xml(sitemap.index_xml([pages, *chunks]))


@bp.get("/sitemaps/pages.xml")
def sitemap_pages():
    endpoints = ["pages.home", "catalog.browse", "journal.index", "pages.about"]
    urls: list[tuple[str, datetime | None]] = [
        (external_url(e), None) for e in endpoints if e in current_app.view_functions
    ]
    return _xml(sitemap.urlset_xml(urls))


@bp.get("/sitemaps/<kind>-<int:number>.xml")
def sitemap_chunk(kind: str, number: int):
    if kind not in _sitemap_kinds() or number < 1:
        abort(404)
    entries = sitemap.chunk_entries(kind, number, utcnow())
    if not entries:
        abort(404)
    pattern = external_url(sitemap.KINDS[kind].endpoint, slug=_SLUG)
    urls = [(pattern.replace(_SLUG, quote(slug)), lastmod) for slug, lastmod in entries]
    return _xml(sitemap.urlset_xml(urls))


@bp.get("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /account/",
        "Disallow: /cart",
        "Disallow: /checkout",
        "Disallow: /staff/",
        "Disallow: /search",
        "",
        f"Sitemap: {external_url('pages.sitemap_index')}",
        "",
    ]
    response = current_app.response_class("\n".join(lines), mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = SITEMAP_MAX_AGE
    return response
