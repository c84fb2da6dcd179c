"""Journal queries: published posts, one post with its books, tag pages.

A post is visible once it has a publication time that is not in the future; drafts (no time)
and scheduled posts are treated as missing. Every query here loads what its page shows up
front, so a page costs the same few queries however many posts, tags and books there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from math import ceil

from markupsafe import Markup
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from bookstore.catalog.models import Book, BookContributor
from bookstore.errors import NotFound
from bookstore.extensions import db
from bookstore.journal.markdown import render_markdown
from bookstore.journal.models import Post, Tag, post_tags

DEFAULT_PAGE_SIZE = 10
# Far beyond any real journal; bigger numbers are refused before they reach the database.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class PostPage:
    """One page of a post list."""

    posts: list[Post]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


@dataclass(frozen=True)
class RelatedBook:
    """A book shown under a post: what its card needs, worked out here rather than in HTML."""

    book: Book
    authors: str
    price_cents: int | None
    several_prices: bool


@dataclass(frozen=True)
class PostView:
    """A post ready to show: its sanitised HTML body and the books it mentions."""

    post: Post
    body_html: Markup
    books: list[RelatedBook]


def _is_published(now: datetime) -> ColumnElement[bool]:
    return Post.published_at.is_not(None) & (Post.published_at <= now)


def page_number(raw: str | None) -> int:
    """The page asked for in a URL: a whole number from 1; anything else is ``NotFound``."""
    if raw is None:
        return 1
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise NotFound("There is no such page of the journal.")
    number = int(text)
    if not 1 <= number <= MAX_PAGE:
        raise NotFound("There is no such page of the journal.")
    return number


def latest_posts(now: datetime, limit: int = 3) -> list[Post]:
    """The most recent published posts (publication time not after ``now``)."""
    query = (
        select(Post)
        .where(_is_published(now))
        .order_by(Post.published_at.desc(), Post.id.desc())
        .options(selectinload(Post.tags))
        .limit(limit)
    )
    return list(db.session.scalars(query))


def published_posts(
    now: datetime, page: int = 1, per_page: int = DEFAULT_PAGE_SIZE, tag: Tag | None = None
) -> PostPage:
    """A page of published posts, newest first, optionally only those with ``tag``.

    Page 1 always exists (it may be empty); a later page past the end is ``NotFound``.
    """
    condition = _is_published(now)
    if tag is not None:
        tagged = select(post_tags.c.post_id).where(post_tags.c.tag_id == tag.id)
        condition = condition & Post.id.in_(tagged)
    total = db.session.scalar(select(func.count()).select_from(Post).where(condition)) or 0
    result = PostPage(posts=[], number=page, per_page=per_page, total=total)
    if page > result.pages:
        raise NotFound("There is no such page of the journal.")
    query = (
        select(Post)
        .where(condition)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .options(selectinload(Post.tags))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    result.posts.extend(db.session.scalars(query))
    return result


def feed_posts(now: datetime, limit: int = 20) -> list[PostView]:
    """The newest published posts with rendered bodies, for the Atom feed."""
    return [
        PostView(post=post, body_html=render_markdown(post.body_markdown), books=[])
        for post in latest_posts(now, limit)
    ]


def sitemap_posts(now: datetime) -> list[tuple[str, datetime]]:
    """(slug, last change) of every published post, for ``sitemap.xml``."""
    query = (
        select(Post.slug, Post.updated_at)
        .where(_is_published(now))
        .order_by(Post.published_at.desc(), Post.id.desc())
    )
    return [(slug, updated) for slug, updated in db.session.execute(query)]


def tag_by_slug(slug: str) -> Tag:
    """The tag with this slug, or ``NotFound``."""
    tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
    if tag is None:
        raise NotFound("There is no journal tag with that name.")
    return tag


def published_post(slug: str, now: datetime) -> PostView:
    """A published post with its body rendered and its books' cards; drafts are ``NotFound``."""
    post = db.session.scalar(
        select(Post)
        .where(Post.slug == slug, _is_published(now))
        .options(
            selectinload(Post.tags),
            selectinload(Post.books).selectinload(Book.editions),
            selectinload(Post.books)
            .selectinload(Book.credits)
            .selectinload(BookContributor.contributor),
        )
    )
    if post is None:
        raise NotFound("There is no journal post at this address.")
    return PostView(
        post=post,
        body_html=render_markdown(post.body_markdown),
        books=[related_book(book) for book in post.books],
    )


def related_book(book: Book) -> RelatedBook:
    """A book card: authors and the lowest price of the editions still on sale."""
    on_sale = [e for e in book.editions if e.active and not e.out_of_print]
    prices = sorted({e.price_cents for e in on_sale})
    names = [person.name for person in book.authors]
    return RelatedBook(
        book=book,
        authors=" and ".join(names) if len(names) <= 2 else ", ".join(names),
        price_cents=prices[0] if prices else None,
        several_prices=len(prices) > 1,
    )
