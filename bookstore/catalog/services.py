"""Catalog queries for the shop's pages: home lists, book detail, contributor, series, subject.

Every function issues a fixed number of SQL queries whatever the catalog's size: related rows
come with ``selectinload``/``joinedload``, lists are bounded by LIMIT. Nothing here writes.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Integer, bindparam, exists, literal_column, select, union_all
from sqlalchemy.orm import selectinload

from bookstore.catalog.availability import sorted_editions
from bookstore.catalog.book_rows import PageBook, PageEdition, PagePerson, load_page_book
from bookstore.catalog.listing import (
    BookPage,
    BrowseFilters,
    filter_choices,
    list_books,
    load_cards,
    parse_filters,
    parse_page,
)
from bookstore.catalog.models import (
    Book,
    BookContributor,
    Contributor,
    ContributorRole,
    Series,
    Subject,
    book_subjects,
)
from bookstore.errors import NotFound
from bookstore.extensions import db

RELATED_LIMIT = 6


def new_and_upcoming(limit: int = 8) -> Sequence[Book]:
    """The most recent publication dates first, so forthcoming titles lead the list."""
    ids = db.session.scalars(
        select(Book.id)
        .where(Book.published_on.is_not(None))
        .order_by(Book.published_on.desc(), Book.id.desc())
        .limit(limit)
    )
    return load_cards(list(ids))


def featured_books(limit: int = 4) -> Sequence[Book]:
    """Books the publisher marked as featured, newest first."""
    ids = db.session.scalars(
        select(Book.id)
        .where(Book.featured.is_(True), Book.published_on.is_not(None))
        .order_by(Book.published_on.desc(), Book.id.desc())
        .limit(limit)
    )
    return load_cards(list(ids))


def browse(args: Mapping[str, str], today: date, page_size: int) -> tuple[BookPage, dict]:
    """The browse page: a page of books for the URL's filters, and the filter form's options.

    Raises ``NotFound`` for an unknown filter value or a page past the end.
    """
    filters = parse_filters(args)
    return list_books(filters, today, page_size), filter_choices(filters)


@dataclass(frozen=True)
class BookLink:
    """A book named and linked to (the series neighbours): no ORM object needed."""

    slug: str
    title: str


@dataclass
class BookDetail:
    """Everything the book page shows."""

    book: PageBook
    editions: list[PageEdition]
    previous: BookLink | None
    next: BookLink | None
    also_like: Sequence[Book]

    @property
    def credits_by_role(self) -> list[tuple[ContributorRole, list[PagePerson]]]:
        """Contributors grouped by role, authors first, in credit order."""
        groups: dict[ContributorRole, list[PagePerson]] = {}
        for credit in self.book.credits:
            groups.setdefault(credit.role, []).append(credit.contributor)
        order = list(ContributorRole)
        return sorted(groups.items(), key=lambda item: order.index(item[0]))


def book_detail(slug: str) -> BookDetail:
    """The book with its editions, contributors, subjects, series neighbours and suggestions."""
    book = load_page_book(slug)
    if book is None:
        raise NotFound("There is no such book in the catalog.")
    previous, following, related = _neighbours_and_related(book)
    return BookDetail(
        book=book,
        editions=sorted_editions(book),  # type: ignore[arg-type]  # a PageBook reads as a Book
        previous=previous,
        next=following,
        also_like=load_cards(related),
    )


# Kinds of row in _neighbours_and_related's one query.
_PREVIOUS, _NEXT, _SAME_SERIES, _SAME_SUBJECT = range(4)


def _neighbours_and_related(book: PageBook) -> tuple[BookLink | None, BookLink | None, list[int]]:
    """The books just before and after this one in its series (positions may have gaps), and
    the ids of up to RELATED_LIMIT other books: the same series first, then the same subjects.

    One query (each part bounded by LIMIT), so the page's query count does not depend on how
    many books the series or the subjects have.
    """
    in_position = book.series_id is not None and book.series_position is not None
    query = _related_query(in_position, book.series_id is not None, bool(book.subjects))
    if query is None:
        return None, None, []
    values = {"book_id": book.id, "series_id": book.series_id, "position": book.series_position}
    bound = {k: v for k, v in values.items() if v is not None}
    # Plain rows on the session's connection: the ORM's session layer would add a third.
    rows = db.session.connection().execute(query, bound).all()
    found: dict[int, list] = {kind: [] for kind in range(4)}
    for row in rows:
        found[row.kind].append(row)
    # A UNION keeps no order: each part's own order again, here.
    found[_SAME_SERIES].sort(
        key=lambda r: (r.series_position is None, r.series_position or 0, r.id)
    )
    found[_SAME_SUBJECT].sort(key=lambda r: (r.published_on, r.id), reverse=True)
    previous = next((BookLink(r.slug, r.title) for r in found[_PREVIOUS]), None)
    following = next((BookLink(r.slug, r.title) for r in found[_NEXT]), None)
    ids = [r.id for r in found[_SAME_SERIES]] + [r.id for r in found[_SAME_SUBJECT]]
    return previous, following, list(dict.fromkeys(ids))[:RELATED_LIMIT]


@functools.cache
def _related_query(in_position: bool, in_series: bool, has_subjects: bool):
    """_neighbours_and_related's UNION for a book of this shape (None: nothing to ask)."""
    parts = []
    other = Book.id != bindparam("book_id")
    series = Book.series_id == bindparam("series_id")
    position = bindparam("position", type_=Integer)
    if in_position:
        before = (series, other, Book.series_position < position)
        after = (series, other, Book.series_position > position)
        parts.append(_part(_PREVIOUS, before, 1, Book.series_position.desc(), Book.id))
        parts.append(_part(_NEXT, after, 1, Book.series_position, Book.id))
    if in_series:
        by_position = (Book.series_position.is_(None), Book.series_position, Book.id)
        parts.append(_part(_SAME_SERIES, (series, other), RELATED_LIMIT, *by_position))
    if has_subjects:
        # The book's subjects as a subquery, not a list of ids: one SQL text for every book
        # (no IN list expanded per call, and PostgreSQL prepares it once).
        its_subjects = select(book_subjects.c.subject_id).where(
            book_subjects.c.book_id == bindparam("book_id")
        )
        shares_subject = exists().where(
            book_subjects.c.book_id == Book.id, book_subjects.c.subject_id.in_(its_subjects)
        )
        published = Book.published_on.is_not(None)
        newest = (Book.published_on.desc(), Book.id.desc())
        parts.append(
            _part(_SAME_SUBJECT, (shares_subject, other, published), RELATED_LIMIT, *newest)
        )
    return union_all(*parts) if parts else None


def _part(kind: int, where, limit: int, *order):
    """One bounded part of _neighbours_and_related's UNION, its kind as a constant column."""
    rows = (
        select(
            literal_column(str(kind), Integer).label("kind"),
            Book.id,
            Book.slug,
            Book.title,
            Book.series_position,
            Book.published_on,
        )
        .where(*where)
        .order_by(*order)
        .limit(limit)
        .subquery()
    )
    return select(rows)


@dataclass
class ContributorPage:
    contributor: Contributor
    books: BookPage
    roles: dict[int, list[ContributorRole]]


def contributor_page(
    slug: str, args: Mapping[str, str], today: date, page_size: int
) -> ContributorPage:
    """A contributor and a page of their books, with their role on each."""
    person = db.session.scalar(select(Contributor).where(Contributor.slug == slug))
    if person is None:
        raise NotFound("There is no such author or contributor.")
    filters = parse_filters(args, allowed=())
    credited = Book.id.in_(
        select(BookContributor.book_id).where(BookContributor.contributor_id == person.id)
    )
    books = list_books(filters, today, page_size, base=select(Book.id).where(credited))
    roles = {
        book.id: [c.role for c in book.credits if c.contributor_id == person.id]
        for book in books.books
    }
    return ContributorPage(contributor=person, books=books, roles=roles)


def series_page(slug: str, args: Mapping[str, str], today: date, page_size: int):
    """A series and a page of its books in series order."""
    series = db.session.scalar(select(Series).where(Series.slug == slug))
    if series is None:
        raise NotFound("There is no such series.")
    filters = BrowseFilters(series=series, sort="position", page=parse_page(args.get("page")))
    return series, list_books(filters, today, page_size, fixed=frozenset({"series"}))


def subject_page(slug: str, args: Mapping[str, str], today: date, page_size: int):
    """A subject and a page of its books, sorted as the URL asks."""
    subject = db.session.scalar(select(Subject).where(Subject.slug == slug))
    if subject is None:
        raise NotFound("There is no such subject.")
    filters = replace(parse_filters(args, allowed=()), subject=subject)
    return subject, list_books(filters, today, page_size, fixed=frozenset({"subject"}))


def cover_book(slug: str) -> Book:
    """The book whose cover is asked for, with its authors."""
    book = db.session.scalar(
        select(Book)
        .where(Book.slug == slug)
        .options(selectinload(Book.credits).joinedload(BookContributor.contributor))
    )
    if book is None:
        raise NotFound("There is no such book.")
    return book
