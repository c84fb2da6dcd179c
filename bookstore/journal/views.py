"""Journal pages: post list, post, tag."""

from flask import Blueprint, abort, current_app, render_template, request

from bookstore.dbtypes import utcnow
from bookstore.errors import NotFound
from bookstore.journal import services

bp = Blueprint("journal", __name__)


def _page_size() -> int:
    return int(current_app.config.get("JOURNAL_PAGE_SIZE", services.DEFAULT_PAGE_SIZE))


@bp.get("/")
def index():
    try:
        number = services.page_number(request.args.get("page"))
        page = services.published_posts(utcnow(), number, _page_size())
    except NotFound as exc:
        abort(404, description=str(exc))
    return render_template("journal/index.html", page=page)


@bp.get("/tags/<slug>")
def tag(slug: str):
    try:
        number = services.page_number(request.args.get("page"))
        found = services.tag_by_slug(slug)
        page = services.published_posts(utcnow(), number, _page_size(), tag=found)
    except NotFound as exc:
        abort(404, description=str(exc))
    return render_template("journal/tag.html", tag=found, page=page)


@bp.get("/<slug>")
def post(slug: str):
    try:
        view = services.published_post(slug, utcnow())
    except NotFound as exc:
        abort(404, description=str(exc))
    return render_template("journal/post.html", view=view, post=view.post)
