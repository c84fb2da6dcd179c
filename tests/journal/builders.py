"""Builders for journal test data: add rows and flush, never commit."""

import itertools
from datetime import UTC, datetime, timedelta

from bookstore.extensions import db
from bookstore.journal.models import Post, Tag
from bookstore.slugs import make_slug

_numbers = itertools.count(1)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def get_tag(name: str) -> Tag:
    tag = db.session.query(Tag).filter_by(slug=make_slug(name)).one_or_none()
    if tag is None:
        tag = Tag(name=name, slug=make_slug(name))
        db.session.add(tag)
    return tag


def make_post(
    title: str | None = None,
    *,
    body: str = "Some *text*.",
    published_at: datetime | None | str = "past",
    tags: tuple[str, ...] = (),
    books=(),
    summary: str = "",
    image_credit: str = "",
) -> Post:
    """A post; ``published_at="past"`` gives a distinct time before now, newer per call."""
    n = next(_numbers)
    if published_at == "past":
        published_at = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=n)
    title = title or f"Test Post {n}"
    post = Post(
        title=title,
        slug=f"{make_slug(title)}-{n}",
        body_markdown=body,
        published_at=published_at,
        summary=summary,
        image_credit=image_credit,
    )
    post.tags = [get_tag(name) for name in tags]
    post.books = list(books)
    db.session.add(post)
    db.session.flush()
    return post
