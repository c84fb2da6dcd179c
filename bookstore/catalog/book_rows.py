"""The book page's book, read as plain rows instead of ORM objects.

A book page is mostly a first visit (a shopper arriving from a search engine or a list), so
its reads run on every view. Loading an ORM ``Book`` with its editions, credits and subjects,
and then its series neighbours and related books, took four statements and about a
millisecond and a half of Python per page; the same rows read with two Core statements on the
session's connection cost a fraction of that. ``PageBook`` and ``PageEdition`` answer what
the page, its JSON-LD and the features that add to it (cart, alerts, deals, reviews) read,
borrowing the models' own rules (``status_on``, ``available``, ``average_rating``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    Date,
    Integer,
    String,
    bindparam,
    cast,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Connection

from bookstore import page_cache
from bookstore.catalog.models import (
    Book,
    BookContributor,
    Contributor,
    ContributorRole,
    Edition,
    EditionStatus,
    Format,
    Series,
    Subject,
    book_subjects,
)
from bookstore.database import built_once
from bookstore.dbtypes import raw_date, read_date
from bookstore.driver_sql import driver_rows

RELATED_LIMIT = 6


@dataclass(frozen=True, slots=True)
class BookLink:
    """A book named and linked to (the series neighbours)."""

    slug: str
    title: str


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
            fmt,
            self.isbn13,
            self.price_cents,
            self.pages,
            published_on,
            self.on_hand,
            self.reserved,
            self.low_stock_threshold,
            out_of_print,
            active,
        ) = row
        # The driver's values (driver_rows): the format's stored string, SQLite's 0 and 1.
        self.format = Format(fmt)
        self.published_on = read_date(published_on)
        self.out_of_print = bool(out_of_print)
        self.active = bool(active)


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
        self.published_on = read_date(self.published_on)
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


_BOOK = (
    Book.id,
    Book.title,
    Book.subtitle,
    Book.slug,
    Book.description,
    Book.original_title,
    Book.languages,
    raw_date(Book.published_on),
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
    raw_date(Edition.published_on),
    Edition.on_hand,
    Edition.reserved,
    Edition.low_stock_threshold,
    Edition.out_of_print,
    Edition.active,
)


def load_page_book(connection: Connection, slug: str) -> PageBook | None:
    """The book with this slug, its series and editions (one statement on the session's
    ``connection``), or None. The page is then refreshed when the stock of these editions
    changes."""
    rows = driver_rows(connection, _book_statement(), {"slug": slug})
    if not rows:
        return None
    book = PageBook(rows[0])
    edition_at = len(_BOOK) + 2
    for row in rows:
        if row[edition_at] is not None:  # LEFT JOIN: a book without editions has one row
            book.editions.append(PageEdition(book, row[edition_at:]))
    page_cache.shows_editions(edition.id for edition in book.editions)
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


# Kinds of row in load_around's one query.
_CREDIT, _SUBJECT, _PREVIOUS, _NEXT, _SAME_SERIES = range(5)


def load_around(
    connection: Connection, book: PageBook
) -> tuple[BookLink | None, BookLink | None, list[int]]:
    """Fill in the book's credits (in credit order) and subjects (by name); and find the books
    just before and after it in its series (positions may have gaps) and the ids of up to
    RELATED_LIMIT other books: the same series first, then the newest of the same subjects
    (``newest_sharing_a_subject``).

    One query (each part about other books bounded by LIMIT), so the page's query count does
    not depend on how many books the series or the subjects have.
    """
    in_position = book.series_id is not None and book.series_position is not None
    values = {"book_id": book.id, "series_id": book.series_id, "position": book.series_position}
    bound = {k: v for k, v in values.items() if v is not None}
    query = _around_query(in_position, book.series_id is not None)
    found: dict[int, list] = {kind: [] for kind in range(5)}
    # Each row: kind, id, slug, name, number, day, role.
    for row in driver_rows(connection, query, bound):
        found[row[0]].append(row)
    book.credits = [
        PageCredit(ContributorRole(role), PagePerson(id_, name, slug))
        for _, id_, slug, name, _, _, role in found[_CREDIT]
    ]
    book.subjects = [PageSubject(r[1], r[3], r[2]) for r in found[_SUBJECT]]
    # The query orders its rows by kind, number and name; the series' books have their own
    # order, given again here.
    found[_SAME_SERIES].sort(key=lambda r: (r[4] is None, r[4] or 0, r[1]))
    previous = next((BookLink(r[2], r[3]) for r in found[_PREVIOUS]), None)
    following = next((BookLink(r[2], r[3]) for r in found[_NEXT]), None)
    ids = [r[1] for r in found[_SAME_SERIES]] + newest_sharing_a_subject(connection, book)
    return previous, following, list(dict.fromkeys(ids))[:RELATED_LIMIT]


def newest_sharing_a_subject(connection: Connection, book: PageBook) -> list[int]:
    """The ids of the RELATED_LIMIT newest dated books that share a subject with ``book``.

    Found in each subject's newest books, kept while the page generation stays the same
    (``page_cache.kept_while_unchanged``; a catalog change starts a new one): looking for
    them through the catalog by date on every page was most of the page's time in
    PostgreSQL (0.6-0.8 ms). Each subject keeps one book more than shown, as the book itself
    may be among them, so the newest of their union are the newest sharing a subject.
    """
    kept: dict[int, list[tuple[date, int]]] = page_cache.kept_while_unchanged(
        "newest-books-of-subjects", dict
    )
    missing = [subject.id for subject in book.subjects if subject.id not in kept]
    if missing:
        kept.update(_load_newest_of_subjects(connection, missing))
    days = {book_id: day for s in book.subjects for day, book_id in kept[s.id]}
    days.pop(book.id, None)
    newest = sorted(days, key=lambda book_id: (days[book_id], book_id), reverse=True)
    return newest[:RELATED_LIMIT]


def _load_newest_of_subjects(
    connection: Connection, subject_ids: list[int]
) -> dict[int, list[tuple[date, int]]]:
    """Each subject's RELATED_LIMIT + 1 newest dated books, as (publication date, id)."""
    found: dict[int, list[tuple[date, int]]] = {subject_id: [] for subject_id in subject_ids}
    values = {f"subject_{n}": subject_id for n, subject_id in enumerate(subject_ids)}
    statement = _newest_query(len(subject_ids))
    for subject_id, book_id, raw_day in driver_rows(connection, statement, values):
        day = read_date(raw_day)
        if day is not None:  # always: the query reads dated books only
            found[subject_id].append((day, book_id))
    return found


@functools.cache
def _newest_query(subjects: int):
    """_load_newest_of_subjects' statement for this many subjects: a UNION of one bounded
    part per subject (bound as ``subject_0``, ``subject_1``...)."""
    parts = []
    for n in range(subjects):
        newest = (
            select(
                book_subjects.c.subject_id,
                Book.id,
                raw_date(Book.published_on).label("day"),
            )
            .join(book_subjects, book_subjects.c.book_id == Book.id)
            .where(
                book_subjects.c.subject_id == bindparam(f"subject_{n}", type_=Integer),
                Book.published_on.is_not(None),
            )
            .order_by(Book.published_on.desc(), Book.id.desc())
            .limit(RELATED_LIMIT + 1)
            .subquery()
        )
        parts.append(select(newest))
    return parts[0] if subjects == 1 else union_all(*parts)


@functools.cache
def _around_query(in_position: bool, in_series: bool):
    """load_around's UNION for a book of this shape. Every row has a kind, an id, a slug, a
    name (a title for a book), a number (a credit's or a series position), a day (a book's
    publication date) and a role (a credit's)."""
    this_book = bindparam("book_id", type_=Integer)
    credits = (
        select(
            literal_column(str(_CREDIT), Integer).label("kind"),
            Contributor.id,
            Contributor.slug,
            Contributor.name.label("name"),
            BookContributor.position.label("number"),
            cast(null(), Date).label("day"),
            BookContributor.role.label("role"),
        )
        .join(Contributor, Contributor.id == BookContributor.contributor_id)
        .where(BookContributor.book_id == this_book)
    )
    subjects = (
        select(
            literal_column(str(_SUBJECT), Integer),
            Subject.id,
            Subject.slug,
            Subject.name,
            cast(null(), Integer),
            cast(null(), Date),
            cast(null(), String),
        )
        .join(book_subjects, book_subjects.c.subject_id == Subject.id)
        .where(book_subjects.c.book_id == this_book)
    )
    parts = [credits, subjects]
    other = Book.id != this_book
    series = Book.series_id == bindparam("series_id")
    position = bindparam("position", type_=Integer)
    if in_position:
        before = (series, other, Book.series_position < position)
        after = (series, other, Book.series_position > position)
        parts.append(_book_part(_PREVIOUS, before, 1, Book.series_position.desc(), Book.id))
        parts.append(_book_part(_NEXT, after, 1, Book.series_position, Book.id))
    if in_series:
        by_position = (Book.series_position.is_(None), Book.series_position, Book.id)
        parts.append(_book_part(_SAME_SERIES, (series, other), RELATED_LIMIT, *by_position))
    rows = union_all(*parts).subquery()
    return select(
        rows.c.kind,
        rows.c.id,
        rows.c.slug,
        rows.c.name,
        rows.c.number,
        type_coerce(rows.c.day, String).label("day"),  # parsed by read_date
        type_coerce(rows.c.role, String).label("role"),
    ).order_by(rows.c.kind, rows.c.number, rows.c.name)


def _book_part(kind: int, where, limit: int, *order):
    """One bounded part of load_around's UNION about other books."""
    rows = (
        select(
            literal_column(str(kind), Integer).label("kind"),
            Book.id,
            Book.slug,
            Book.title.label("name"),
            Book.series_position.label("number"),
            Book.published_on.label("day"),
            cast(null(), String).label("role"),
        )
        .where(*where)
        .order_by(*order)
        .limit(limit)
        .subquery()
    )
    return select(rows)
