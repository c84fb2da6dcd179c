"""Catalog: books, their contributors, series, subjects and editions, and the stock ledger."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bookstore.catalog.transliteration import search_aliases
from bookstore.dbtypes import UTCDateTime, str_enum, utcnow
from bookstore.extensions import db


class Format(enum.StrEnum):
    PAPERBACK = "paperback"
    HARDCOVER = "hardcover"
    EBOOK = "ebook"

    @property
    def is_physical(self) -> bool:
        return self is not Format.EBOOK

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ContributorRole(enum.StrEnum):
    AUTHOR = "author"
    TRANSLATOR = "translator"
    ILLUSTRATOR = "illustrator"
    EDITOR = "editor"
    INTRODUCTION = "introduction"

    @property
    def label(self) -> str:
        return {"introduction": "Introduction by"}.get(self.value, self.value.capitalize())


class EditionStatus(enum.StrEnum):
    AVAILABLE = "available"
    PREORDER = "preorder"
    OUT_OF_PRINT = "out_of_print"


book_subjects = Table(
    "book_subjects",
    db.metadata,
    Column("book_id", ForeignKey("books.id", ondelete="CASCADE"), primary_key=True),
    Column("subject_id", ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True),
)


class Subject(db.Model):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)

    books: Mapped[list[Book]] = relationship(
        secondary=book_subjects, back_populates="subjects", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<Subject {self.slug}>"


class Series(db.Model):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Latin spellings of the Cyrillic words of the name (and е for ё), for search in either
    # script; set from the name on every ORM write (listeners at the end of this module).
    search_aliases: Mapped[str] = mapped_column(Text, default="", server_default="")

    books: Mapped[list[Book]] = relationship(
        back_populates="series", order_by="Book.series_position", viewonly=True
    )


class Contributor(db.Model):
    __tablename__ = "contributors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    # Latin spellings of the Cyrillic words of the name (and е for ё), for search in either
    # script; set from the name on every ORM write (listeners at the end of this module).
    search_aliases: Mapped[str] = mapped_column(Text, default="", server_default="")

    credits: Mapped[list[BookContributor]] = relationship(
        back_populates="contributor", viewonly=True
    )


class BookContributor(db.Model):
    """A contributor's credit on a book, in display order."""

    __tablename__ = "book_contributors"

    book_id: Mapped[int] = mapped_column(
        ForeignKey("books.id", ondelete="CASCADE"), primary_key=True
    )
    contributor_id: Mapped[int] = mapped_column(
        ForeignKey("contributors.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[ContributorRole] = mapped_column(
        str_enum(ContributorRole, "contributor_role"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)

    book: Mapped[Book] = relationship(back_populates="credits")
    contributor: Mapped[Contributor] = relationship(back_populates="credits")


class Book(db.Model):
    __tablename__ = "books"
    __table_args__ = (
        CheckConstraint("series_position IS NULL OR series_position > 0", name="series_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    subtitle: Mapped[str] = mapped_column(String(300), default="")
    slug: Mapped[str] = mapped_column(String(320), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    original_title: Mapped[str] = mapped_column(String(300), default="")
    # Latin spellings of the Cyrillic words of the title and original title (and е for ё), for
    # search in either script; set on every ORM write (listeners at the end of this module).
    search_aliases: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Space-separated ISO 639-1 codes, e.g. "en" or "en ru" for a bilingual edition.
    languages: Mapped[str] = mapped_column(String(40), default="en")
    published_on: Mapped[date | None] = mapped_column(Date, index=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    series_position: Mapped[int | None] = mapped_column(Integer)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    cover_image: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Readers' published reviews: how many, and the sum of their ratings (1-5). Kept by
    # bookstore.reviews whenever a review is published or withdrawn, so cards need no query.
    review_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The price of the cheapest active edition (None without one), for "price, low to high".
    # Kept by database triggers on editions (see the migration that added it): never set it.
    min_price_cents: Mapped[int | None] = mapped_column(Integer)

    series: Mapped[Series | None] = relationship(back_populates="books")
    subjects: Mapped[list[Subject]] = relationship(
        secondary=book_subjects, back_populates="books", order_by="Subject.name"
    )
    credits: Mapped[list[BookContributor]] = relationship(
        back_populates="book",
        order_by="BookContributor.position",
        cascade="all, delete-orphan",
    )
    editions: Mapped[list[Edition]] = relationship(
        back_populates="book", order_by="Edition.id", cascade="all, delete-orphan"
    )

    @property
    def language_codes(self) -> list[str]:
        return self.languages.split()

    @property
    def average_rating(self) -> float | None:
        """The mean of the published reviews' ratings, to one decimal; None without reviews."""
        if not self.review_count:
            return None
        return round(self.rating_total / self.review_count, 1)

    @property
    def authors(self) -> list[Contributor]:
        return [c.contributor for c in self.credits if c.role is ContributorRole.AUTHOR]

    def __repr__(self) -> str:
        return f"<Book {self.slug}>"


class Edition(db.Model):
    """One format of a book, with its own ISBN, price and (for print) stock."""

    __tablename__ = "editions"
    __table_args__ = (
        UniqueConstraint("book_id", "format", name="uq_editions_book_id_format"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        CheckConstraint("pages IS NULL OR pages > 0", name="pages_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed with what a book card reads (catalog/indexes.py).
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id", ondelete="CASCADE"))
    format: Mapped[Format] = mapped_column(str_enum(Format, "edition_format"))
    isbn13: Mapped[str] = mapped_column(String(13), unique=True)
    price_cents: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    # Publication date of this edition; a future date makes it a preorder.
    published_on: Mapped[date | None] = mapped_column(Date)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    low_stock_threshold: Mapped[int | None] = mapped_column(Integer)
    out_of_print: Mapped[bool] = mapped_column(Boolean, default=False)
    # Retired editions stay for the history of orders but are no longer sold.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    book: Mapped[Book] = relationship(back_populates="editions")

    @property
    def is_physical(self) -> bool:
        return self.format.is_physical

    @property
    def available(self) -> int | None:
        """Copies that can be sold now; ``None`` for ebooks, which have no stock."""
        if not self.is_physical:
            return None
        return max(self.on_hand - self.reserved, 0)

    def status_on(self, today: date) -> EditionStatus:
        """Available, preorder (publication date in the future) or out of print."""
        if self.out_of_print:
            return EditionStatus.OUT_OF_PRINT
        published = self.published_on or self.book.published_on
        if published and published > today:
            return EditionStatus.PREORDER
        return EditionStatus.AVAILABLE

    def __repr__(self) -> str:
        return f"<Edition {self.isbn13} {self.format}>"


class StockMovement(db.Model):
    """One change of an edition's stock: the ledger that explains every on-hand count."""

    __tablename__ = "stock_movements"
    __table_args__ = (CheckConstraint("delta <> 0", name="delta_not_zero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("editions.id", ondelete="CASCADE"), index=True
    )
    delta: Mapped[int] = mapped_column(Integer)
    # receive, sale, count, damage, return, correction, restock, import, demo
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    edition: Mapped[Edition] = relationship()


@event.listens_for(Book, "before_insert")
@event.listens_for(Book, "before_update")
def _keep_book_search_aliases(_mapper, _connection, book: Book) -> None:
    book.search_aliases = search_aliases(book.title, book.original_title)


@event.listens_for(Contributor, "before_insert")
@event.listens_for(Contributor, "before_update")
@event.listens_for(Series, "before_insert")
@event.listens_for(Series, "before_update")
def _keep_name_search_aliases(_mapper, _connection, target: Contributor | Series) -> None:
    target.search_aliases = search_aliases(target.name)
