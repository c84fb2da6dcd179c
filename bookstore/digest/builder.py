"""The week's digest: new journal posts, new and upcoming books, open member deals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bookstore.catalog.models import Book, BookContributor
from bookstore.deals.models import Deal
from bookstore.deals.services import open_deals
from bookstore.errors import InvalidInput
from bookstore.extensions import db
from bookstore.journal.models import Post

WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")
UPCOMING_DAYS = 90
MAX_ITEMS = 8


def week_of(moment: datetime | date) -> str:
    """The ISO week of ``moment`` as 'YYYY-Www'."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str) -> tuple[datetime, datetime]:
    """Monday 00:00 UTC of the ISO week and the Monday after; InvalidInput if malformed."""
    match = WEEK_PATTERN.match(week or "")
    if not match:
        raise InvalidInput(f"A week looks like 2026-W48, not {week!r}.")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise InvalidInput(f"There is no week {week}.") from None
    start = datetime.combine(monday, time(), tzinfo=UTC)
    return start, start + timedelta(days=7)


@dataclass(frozen=True)
class Digest:
    """What goes into one week's email; the same for every subscriber except the deals part."""

    week: str
    since: datetime
    until: datetime
    posts: list[Post] = field(default_factory=list)
    new_books: list[Book] = field(default_factory=list)
    upcoming_books: list[Book] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)

    @property
    def title(self) -> str:
        last_day = self.until - timedelta(seconds=1)
        return f"The week of {self.since:%-d %B} to {last_day:%-d %B %Y}"

    @property
    def is_empty(self) -> bool:
        return not (self.posts or self.new_books or self.upcoming_books or self.deals)


def _books(query) -> list[Book]:
    query = query.options(
        selectinload(Book.credits).selectinload(BookContributor.contributor),
        selectinload(Book.editions),
    ).limit(MAX_ITEMS)
    return list(db.session.scalars(query))


def build_digest(week: str, now: datetime) -> Digest:
    """The digest for ``week``: what appeared in the seven days up to the end of that week
    (or up to ``now`` while it is still running), what is coming, and the deals open now."""
    _, week_end = week_bounds(week)
    until = min(week_end, now)
    since = until - timedelta(days=7)
    posts = db.session.scalars(
        select(Post)
        .where(Post.published_at.is_not(None), Post.published_at > since)
        .where(Post.published_at <= until)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(MAX_ITEMS)
    )
    new_books = _books(
        select(Book)
        .where(Book.published_on > since.date(), Book.published_on <= until.date())
        .order_by(Book.published_on.desc(), Book.id)
    )
    upcoming = _books(
        select(Book)
        .where(Book.published_on > until.date())
        .where(Book.published_on <= until.date() + timedelta(days=UPCOMING_DAYS))
        .order_by(Book.published_on, Book.id)
    )
    return Digest(
        week=week,
        since=since,
        until=until,
        posts=list(posts),
        new_books=new_books,
        upcoming_books=upcoming,
        deals=open_deals(now) if until >= now - timedelta(days=7) else [],
    )
