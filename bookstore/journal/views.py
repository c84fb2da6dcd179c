"""Journal pages: post list, post, tag."""

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, render_template, request

from bookstore.dbtypes import utcnow
from bookstore.errors import NotFound
from bookstore.journal import services
from bookstore.page_cache import cached_page

bp = Blueprint("journal", __name__)


def _page_size() -> int:
    return int(current_app.config.get("JOURNAL_PAGE_SIZE", services.DEFAULT_PAGE_SIZE))


@bp.get("/")
@cached_page(params=("page",))
def index():
    try:
        number = services.page_number(request.args.get("page"))
        page = services.published_posts(utcnow(), number, _page_size())
    except NotFound as exc:
        abort(404, description=str(exc))
    return render_template("journal/index.html", page=page)


@bp.get("/feed.xml")
def feed():
    """An Atom feed of the newest posts."""
    views = services.feed_posts(utcnow())
    xml = render_template("journal/feed.xml", views=views, updated=_feed_updated(views))
    return current_app.response_class(xml, mimetype="application/atom+xml")


def _feed_updated(views) -> datetime:
    # Atom requires a feed-level <updated>; an empty feed uses a fixed, honest epoch.
    if not views:
        return datetime(2000, 1, 1, tzinfo=UTC)
    return max(max(v.post.updated_at, v.post.published_at) for v in views)


@bp.get("/tags/<slug>")
@cached_page(params=("page",))
def tag(slug: str):
    try:
        number = services.page_number(request.args.get("page"))
        found = services.tag_by_slug(slug)
        page = services.published_posts(utcnow(), number, _page_size(), tag=found)
    except NotFound as exc:
        abort(404, description=str(exc))
    return render_template("journal/tag.html", tag=found, page=page)


@bp.get("/<slug>")
@cached_page
def post(slug: str):
    try:
        view = services.published_post(slug, utcnow())
    except NotFound as exc:
        abort(404, description=str(exc))
    return render_template("journal/post.html", view=view, post=view.post)
