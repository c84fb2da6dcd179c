"""Journal queries and changes."""

from datetime import datetime

from sqlalchemy import select

from bookstore.extensions import db
from bookstore.journal.models import Post


def latest_posts(now: datetime, limit: int = 3) -> list[Post]:
    """The most recent published posts (publication time not after ``now``)."""
    query = (
        select(Post)
        .where(Post.published_at.is_not(None), Post.published_at <= now)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
