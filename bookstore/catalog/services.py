"""Catalog queries for the shop's pages: home lists, book detail, contributor, series, subject.

Every function issues a fixed number of SQL queries whatever the catalog's size: related rows
come with ``selectinload``/``joinedload`` (the book page reads plain rows: ``book_rows``), lists
are bounded by LIMIT. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bookstore.catalog.availability import sorted_editions
from bookstore.catalog.book_rows import (
    BookLink,
    PageBook,
    PageEdition,
    PagePerson,
    load_around,
    load_page_book,
)
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
)
from bookstore.errors import NotFound
from bookstore.extensions import db


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
    connection = db.session.connection()
    book = load_page_book(connection, slug)
    if book is None:
        raise NotFound("There is no such book in the catalog.")
    previous, following, related = load_around(connection, book)
    return BookDetail(
        book=book,
        editions=sorted_editions(book),  # type: ignore[arg-type]  # a PageBook reads as a Book
        previous=previous,
        next=following,
        also_like=load_cards(related),
    )


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
