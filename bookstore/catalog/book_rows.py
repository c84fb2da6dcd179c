"""The book page's book, read as plain rows instead of ORM objects.

A book page is mostly a first visit (a shopper arriving from a search engine or a list), so
its reads run on every view. Loading an ORM ``Book`` with its editions, credits and subjects
costs about a millisecond of Python per page; the same rows read with two Core statements on
the session's connection cost a tenth of that. ``PageBook`` and ``PageEdition`` answer what
the page, its JSON-LD and the features that add to it (cart, alerts, deals, reviews) read,
borrowing the models' own rules (``status_on``, ``available``, ``average_rating``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, String, bindparam, literal, select, type_coerce, union_all

from bookstore import page_cache
from bookstore.catalog.models import (
    Book,
    BookContributor,
    Contributor,
    ContributorRole,
    Edition,
    EditionStatus,
    Series,
    Subject,
    book_subjects,
)
from bookstore.database import built_once
from bookstore.extensions import db


@dataclass(frozen=True, slots=True)
class PagePerson:
    id: int
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class PageCredit:
    role: ContributorRole
    contributor: PagePerson


@dataclass(frozen=True, slots=True)
class PageSubject:
    id: int
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class PageSeries:
    id: int
    name: str
    slug: str


class PageEdition:
    """An edition as the book page shows it: the model's own rules on plain values."""

    __slots__ = (
        "id",
        "book",
        "book_id",
        "format",
        "isbn13",
        "price_cents",
        "pages",
        "published_on",
        "on_hand",
        "reserved",
        "low_stock_threshold",
        "out_of_print",
        "active",
    )
    available = Edition.__dict__["available"]
    is_physical = Edition.__dict__["is_physical"]

    def status_on(self, today: date) -> EditionStatus:
        """The model's own rule: available, preorder or out of print."""
        return Edition.status_on(self, today)  # type: ignore[arg-type]  # reads the same fields

    def __init__(self, book: PageBook, row) -> None:
        self.book = book
        (
            self.id,
            self.book_id,
            self.format,
            self.isbn13,
            self.price_cents,
            self.pages,
            self.published_on,
            self.on_hand,
            self.reserved,
            self.low_stock_threshold,
            self.out_of_print,
            self.active,
        ) = row
        self.published_on = _date(self.published_on)


class PageBook:
    """A book with its series, editions (by id), credits (in order) and subjects (by name)."""

    __slots__ = (
        "id",
        "title",
        "subtitle",
        "slug",
        "description",
        "original_title",
        "languages",
        "published_on",
        "series_id",
        "series_position",
        "cover_image",
        "review_count",
        "rating_total",
        "series",
        "editions",
        "credits",
        "subjects",
    )
    language_codes = Book.__dict__["language_codes"]
    average_rating = Book.__dict__["average_rating"]
    authors = Book.__dict__["authors"]

    def __init__(self, row) -> None:
        (
            self.id,
            self.title,
            self.subtitle,
            self.slug,
            self.description,
            self.original_title,
            self.languages,
            self.published_on,
            self.series_id,
            self.series_position,
            self.cover_image,
            self.review_count,
            self.rating_total,
        ) = row[: len(_BOOK)]
        self.published_on = _date(self.published_on)
        series_name, series_slug = row[len(_BOOK) : len(_BOOK) + 2]
        self.series = (
            PageSeries(self.series_id, series_name, series_slug)
            if self.series_id is not None
            else None
        )
        self.editions: list[PageEdition] = []
        self.credits: list[PageCredit] = []
        self.subjects: list[PageSubject] = []

    def __repr__(self) -> str:
        return f"<PageBook {self.slug}>"


def _raw_date(column):
    """A date column as the database gives it: SQLite's text is parsed by ``_date``, in C,
    instead of by SQLAlchemy's regular expression (as ``cards`` does)."""
    return type_coerce(column, String)


def _date(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


_BOOK = (
    Book.id,
    Book.title,
    Book.subtitle,
    Book.slug,
    Book.description,
    Book.original_title,
    Book.languages,
    _raw_date(Book.published_on),
    Book.series_id,
    Book.series_position,
    Book.cover_image,
    Book.review_count,
    Book.rating_total,
)
_EDITION = (
    Edition.id,
    Edition.book_id,
    Edition.format,
    Edition.isbn13,
    Edition.price_cents,
    Edition.pages,
    _raw_date(Edition.published_on),
    Edition.on_hand,
    Edition.reserved,
    Edition.low_stock_threshold,
    Edition.out_of_print,
    Edition.active,
)


def load_page_book(slug: str) -> PageBook | None:
    """The book with this slug, its series, editions, credits and subjects (two statements),
    or None. The page is then refreshed when the stock of these editions changes."""
    connection = db.session.connection()
    rows = connection.execute(_book_statement(), {"slug": slug}).all()
    if not rows:
        return None
    book = PageBook(rows[0])
    edition_at = len(_BOOK) + 2
    for row in rows:
        if row[edition_at] is not None:  # LEFT JOIN: a book without editions has one row
            book.editions.append(PageEdition(book, row[edition_at:]))
    page_cache.shows_editions(edition.id for edition in book.editions)
    for kind, key, name, slug_, role in connection.execute(_people_statement(), {"id": book.id}):
        if kind == _CREDIT:
            person = PagePerson(key, name, slug_)
            book.credits.append(PageCredit(ContributorRole(role), person))
        else:
            book.subjects.append(PageSubject(key, name, slug_))
    return book


@built_once
def _book_statement():
    """The book's row with its series, once per edition (a book has a few)."""
    return (
        select(*_BOOK, Series.name, Series.slug, *_EDITION)
        .outerjoin(Series, Series.id == Book.series_id)
        .outerjoin(Edition, Edition.book_id == Book.id)
        .where(Book.slug == bindparam("slug"))
        .order_by(Edition.id)
    )


_CREDIT, _SUBJECT = 0, 1


@built_once
def _people_statement():
    """The book's credits in credit order, then its subjects by name: one UNION."""
    credits = (
        select(
            literal(_CREDIT, Integer).label("kind"),
            Contributor.id,
            Contributor.name,
            Contributor.slug,
            type_coerce(BookContributor.role, String).label("role"),
            BookContributor.position.label("place"),
        )
        .join(Contributor, Contributor.id == BookContributor.contributor_id)
        .where(BookContributor.book_id == bindparam("id"))
    )
    subjects = (
        select(
            literal(_SUBJECT, Integer),
            Subject.id,
            Subject.name,
            Subject.slug,
            literal("", String),
            literal(0, Integer),
        )
        .join(book_subjects, book_subjects.c.subject_id == Subject.id)
        .where(book_subjects.c.book_id == bindparam("id"))
    )
    union = union_all(credits, subjects).subquery()
    return select(union.c.kind, union.c.id, union.c.name, union.c.slug, union.c.role).order_by(
        union.c.kind, union.c.place, union.c.name
    )
