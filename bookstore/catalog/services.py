"""Catalog queries for the shop's pages: home lists, book detail, contributor, series, subject.

Every function issues a fixed number of SQL queries whatever the catalog's size: related rows
come with ``selectinload``/``joinedload``, lists are bounded by LIMIT. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from bookstore.catalog.availability import sorted_editions
from bookstore.catalog.listing import (
    BookPage,
    BrowseFilters,
    filter_choices,
    link_editions,
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
    Edition,
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


@dataclass
class BookDetail:
    """Everything the book page shows."""

    book: Book
    editions: list[Edition]
    previous: Book | None
    next: Book | None
    also_like: Sequence[Book]

    @property
    def credits_by_role(self) -> list[tuple[ContributorRole, list[Contributor]]]:
        """Contributors grouped by role, authors first, in credit order."""
        groups: dict[ContributorRole, list[Contributor]] = {}
        for credit in self.book.credits:
            groups.setdefault(credit.role, []).append(credit.contributor)
        order = list(ContributorRole)
        return sorted(groups.items(), key=lambda item: order.index(item[0]))


def book_detail(slug: str) -> BookDetail:
    """The book with its editions, contributors, subjects, series neighbours and suggestions."""
    book = db.session.scalar(
        select(Book)
        .where(Book.slug == slug)
        .options(
            selectinload(Book.editions),
            selectinload(Book.credits).joinedload(BookContributor.contributor),
            selectinload(Book.subjects),
            joinedload(Book.series),
        )
    )
    if book is None:
        raise NotFound("There is no such book in the catalog.")
    link_editions(book)
    previous, following = _series_neighbours(book)
    return BookDetail(
        book=book,
        editions=sorted_editions(book),
        previous=previous,
        next=following,
        also_like=load_cards(_related_ids(book)),
    )


def _series_neighbours(book: Book) -> tuple[Book | None, Book | None]:
    """The books just before and after this one in its series (positions may have gaps)."""
    position = book.series_position
    if book.series_id is None or position is None:
        return None, None
    in_series = Book.series_id == book.series_id
    before = (
        select(func.max(Book.series_position))
        .where(in_series, Book.series_position < position)
        .scalar_subquery()
    )
    after = (
        select(func.min(Book.series_position))
        .where(in_series, Book.series_position > position)
        .scalar_subquery()
    )
    rows = db.session.scalars(
        select(Book)
        .where(in_series, or_(Book.series_position == before, Book.series_position == after))
        .order_by(Book.series_position, Book.id)
    ).all()
    previous = next((b for b in rows if (b.series_position or 0) < position), None)
    following = next((b for b in rows if (b.series_position or 0) > position), None)
    return previous, following


def _related_ids(book: Book) -> list[int]:
    """Up to RELATED_LIMIT other books: the same series first, then the same subjects.

    Both queries always run (each bounded by LIMIT), so the page's query count does not
    depend on how many books the series has.
    """
    ids: list[int] = []
    if book.series_id is not None:
        ids += db.session.scalars(
            select(Book.id)
            .where(Book.series_id == book.series_id, Book.id != book.id)
            .order_by(Book.series_position.is_(None), Book.series_position, Book.id)
            .limit(RELATED_LIMIT)
        )
    subject_ids = [s.id for s in book.subjects]
    if subject_ids:
        shares_subject = exists().where(
            book_subjects.c.book_id == Book.id, book_subjects.c.subject_id.in_(subject_ids)
        )
        ids += db.session.scalars(
            select(Book.id)
            .where(shares_subject, Book.id != book.id, Book.published_on.is_not(None))
            .order_by(Book.published_on.desc(), Book.id.desc())
            .limit(RELATED_LIMIT)
        )
    return list(dict.fromkeys(ids))[:RELATED_LIMIT]


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
