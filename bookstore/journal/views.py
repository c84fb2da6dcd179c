"""Journal pages: post list, post, tag."""

from datetime import UTC, datetime
from pathlib import PurePosixPath

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory

from bookstore.dbtypes import utcnow
from bookstore.errors import NotFound
from bookstore.journal import services
from bookstore.page_cache import cached_page

bp = Blueprint("journal", __name__)

# Picture files never change: a new upload gets a new name.
IMAGE_MAX_AGE = 30 * 24 * 3600


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


@bp.get("/images/<path:filename>")
def image(filename: str):
    """A post's picture, as stored by the staff screen (re-encoded JPEG, server-chosen name)."""
    if PurePosixPath(filename).suffix.lower() != ".jpg":
        abort(404)
    return send_from_directory(
        current_app.config["POST_IMAGE_DIR"], filename, max_age=IMAGE_MAX_AGE
    )


@bp.get("/<slug>")
@cached_page
def post(slug: str):
    try:
        view = services.published_post(slug, utcnow())
    except NotFound as exc:
        abort(404, description=str(exc))
    return render_template("journal/post.html", view=view, post=view.post)
