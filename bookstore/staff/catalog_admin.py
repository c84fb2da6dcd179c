"""Staff changes to the catalog: books, contributors, series, subjects and editions.

Each change validates like the data model (ISBN-13 check digit, unique ISBN, prices in cents),
writes an audit entry with the before and after, flushes and never commits.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from bookstore.accounts.models import User
from bookstore.catalog.isbn import validate_isbn13
from bookstore.catalog.models import (
    Book,
    BookContributor,
    Contributor,
    ContributorRole,
    Edition,
    Format,
    Series,
    Subject,
)
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.slugs import unique_slug
from bookstore.staff.audit import changed_fields, record, snapshot

BOOK_FIELDS = [
    "title",
    "subtitle",
    "description",
    "original_title",
    "languages",
    "published_on",
    "series_position",
    "featured",
]
EDITION_FIELDS = [
    "format",
    "isbn13",
    "price_cents",
    "pages",
    "published_on",
    "low_stock_threshold",
    "out_of_print",
    "active",
]


@dataclass
class BookInput:
    """What a staff member typed for a book (already parsed by the form)."""

    title: str
    subtitle: str = ""
    description: str = ""
    original_title: str = ""
    languages: str = "en"
    published_on: date | None = None
    series: str = ""
    series_position: int | None = None
    subjects: tuple[str, ...] = ()
    # (name, role) in display order
    contributors: tuple[tuple[str, ContributorRole], ...] = ()
    featured: bool = False


@dataclass
class EditionInput:
    format: Format
    isbn13: str
    price_cents: int
    pages: int | None = None
    published_on: date | None = None
    low_stock_threshold: int | None = None
    out_of_print: bool = False


def get_book(book_id: int) -> Book:
    book = db.session.get(Book, book_id)
    if book is None:
        raise NotFound("No such book.")
    return book


def get_edition(edition_id: int) -> Edition:
    edition = db.session.get(Edition, edition_id)
    if edition is None:
        raise NotFound("No such edition.")
    return edition


def _book_snapshot(book: Book) -> dict:
    data = snapshot(book, BOOK_FIELDS)
    data["series"] = book.series.name if book.series else ""
    data["subjects"] = [s.name for s in book.subjects]
    data["contributors"] = [[c.contributor.name, c.role.value] for c in book.credits]
    return data


def _apply_book(book: Book, data: BookInput) -> None:
    if not data.title.strip():
        raise InvalidInput("A book needs a title.")
    if data.series_position is not None and not data.series.strip():
        raise InvalidInput("A position in a series needs the series' name.")
    for name in ("title", "subtitle", "description", "original_title", "languages"):
        setattr(book, name, getattr(data, name).strip())
    book.published_on = data.published_on
    book.featured = data.featured
    book.series = _get_or_create(Series, data.series.strip()) if data.series.strip() else None
    book.series_position = data.series_position if book.series else None
    book.subjects = [_get_or_create(Subject, name) for name in dict.fromkeys(data.subjects)]
    wanted = list(dict.fromkeys((name.strip(), role) for name, role in data.contributors))
    book.credits.clear()
    db.session.flush()
    for position, (name, role) in enumerate(wanted):
        person = _contributor(name)
        book.credits.append(BookContributor(contributor=person, role=role, position=position))


def _get_or_create(model, name: str):
    found = db.session.scalar(select(model).where(func.lower(model.name) == name.lower()))
    if found is None:
        found = model(name=name, slug=unique_slug(name, _slug_taken(model)))
        db.session.add(found)
        db.session.flush()
    return found


def _contributor(name: str) -> Contributor:
    found = db.session.scalar(select(Contributor).where(Contributor.name == name))
    if found is None:
        found = Contributor(name=name, slug=unique_slug(name, _slug_taken(Contributor)))
        db.session.add(found)
        db.session.flush()
    return found


def _slug_taken(model):
    return lambda slug: db.session.scalar(select(model.id).where(model.slug == slug)) is not None


def create_book(data: BookInput, *, actor: User) -> Book:
    """Add a book (editions come separately) and log it."""
    book = Book(slug=unique_slug(data.title, _slug_taken(Book)), title=data.title)
    db.session.add(book)
    _apply_book(book, data)
    db.session.flush()
    record(actor, "book.create", book, after=_book_snapshot(book), summary=book.title)
    return book


def update_book(book: Book, data: BookInput, *, actor: User) -> Book:
    """Change a book's details; the slug stays so links keep working."""
    before = _book_snapshot(book)
    _apply_book(book, data)
    db.session.flush()
    old, new = changed_fields(before, _book_snapshot(book))
    if new:
        record(actor, "book.update", book, before=old, after=new, summary=book.title)
    return book


def _check_isbn(isbn: str, *, edition_id: int | None = None) -> str:
    isbn = validate_isbn13(isbn)
    taken = db.session.scalar(select(Edition).where(Edition.isbn13 == isbn))
    if taken is not None and taken.id != edition_id:
        raise InvalidInput(f"ISBN {isbn} already belongs to {taken.book.title} ({taken.format}).")
    return isbn


def _check_edition(data: EditionInput) -> None:
    if data.price_cents < 0:
        raise InvalidInput("A price cannot be negative.")
    if data.pages is not None and data.pages <= 0:
        raise InvalidInput("Page count must be positive.")
    if data.low_stock_threshold is not None and data.low_stock_threshold < 0:
        raise InvalidInput("The low-stock threshold cannot be negative.")


def create_edition(book: Book, data: EditionInput, *, actor: User) -> Edition:
    """Add a format of a book. One edition per format; stock starts at zero (receive it)."""
    _check_edition(data)
    isbn = _check_isbn(data.isbn13)
    if any(e.format is data.format for e in book.editions):
        raise InvalidInput(f"{book.title} already has a {data.format.value} edition.")
    edition = Edition(
        book=book,
        format=data.format,
        isbn13=isbn,
        price_cents=data.price_cents,
        pages=data.pages,
        published_on=data.published_on,
        low_stock_threshold=data.low_stock_threshold,
        out_of_print=data.out_of_print,
        on_hand=0,
        reserved=0,
    )
    db.session.add(edition)
    db.session.flush()
    record(
        actor,
        "edition.create",
        edition,
        after=snapshot(edition, EDITION_FIELDS),
        summary=f"{book.title} ({data.format.value})",
    )
    return edition


def update_edition(edition: Edition, data: EditionInput, *, actor: User) -> Edition:
    """Change an edition's ISBN, price and details (stock changes go through the ledger)."""
    _check_edition(data)
    isbn = _check_isbn(data.isbn13, edition_id=edition.id)
    if data.format is not edition.format:
        if any(e.format is data.format for e in edition.book.editions if e.id != edition.id):
            raise InvalidInput(f"{edition.book.title} already has a {data.format.value} edition.")
        if edition.on_hand and not data.format.is_physical:
            raise InvalidInput("An edition with copies on hand cannot become an ebook.")
    before = snapshot(edition, EDITION_FIELDS)
    edition.format = data.format
    edition.isbn13 = isbn
    edition.price_cents = data.price_cents
    edition.pages = data.pages
    edition.published_on = data.published_on
    edition.low_stock_threshold = data.low_stock_threshold
    edition.out_of_print = data.out_of_print
    db.session.flush()
    old, new = changed_fields(before, snapshot(edition, EDITION_FIELDS))
    if new:
        record(
            actor,
            "edition.update",
            edition,
            before=old,
            after=new,
            summary=f"{edition.book.title} ({edition.format.value})",
        )
    return edition


def set_edition_active(edition: Edition, active: bool, *, actor: User) -> Edition:
    """Retire an edition from sale (its orders and ledger stay) or bring it back."""
    if edition.active == active:
        return edition
    edition.active = active
    db.session.flush()
    record(
        actor,
        "edition.reinstate" if active else "edition.retire",
        edition,
        before={"active": not active},
        after={"active": active},
        summary=f"{edition.book.title} ({edition.format.value})",
    )
    return edition


def get_or_create_subject(name: str, *, create: bool = True) -> Subject | None:
    """The subject of this name (any case); made when missing unless ``create`` is False."""
    if create:
        return _get_or_create(Subject, name.strip())
    return db.session.scalar(select(Subject).where(func.lower(Subject.name) == name.lower()))
