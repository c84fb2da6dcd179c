"""Journal: the publisher's posts, with tags and the books they mention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookstore.catalog.models import Book
from bookstore.dbtypes import UTCDateTime, utcnow
from bookstore.extensions import db

post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)

post_books = Table(
    "post_books",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("book_id", ForeignKey("books.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)

    posts: Mapped[list[Post]] = relationship(
        secondary=post_tags, back_populates="tags", viewonly=True
    )


class Post(db.Model):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(320), unique=True)
    summary: Mapped[str] = mapped_column(String(500), default="")
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    # The post's picture: a server-chosen file name in POST_IMAGE_DIR (see staff/post_images).
    image: Mapped[str | None] = mapped_column(String(200))
    # What the picture shows, for readers who cannot see it; required with an image.
    image_alt: Mapped[str] = mapped_column(String(300), default="")
    image_credit: Mapped[str] = mapped_column(String(300), default="")
    # A post is visible from its publication time on; None is a draft.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, order_by="Tag.name")
    books: Mapped[list[Book]] = relationship(secondary=post_books, order_by="Book.title")
