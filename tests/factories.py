"""Small builders for test data: plain functions that add rows and flush (never commit)."""

import itertools
from datetime import date

from werkzeug.security import generate_password_hash

from bookstore.accounts.models import Role, User
from bookstore.catalog.isbn import check_digit
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
from bookstore.extensions import db
from bookstore.slugs import make_slug

_numbers = itertools.count(1)

# Hashing is slow on purpose; tests share one hash of this password.
TEST_PASSWORD = "correct horse battery staple"
_HASH_CACHE: dict[str, str] = {}


def next_isbn() -> str:
    """A valid, unique ISBN-13 for tests."""
    body = f"979{next(_numbers):09d}"
    return body + check_digit(body)


def get_subject(name: str) -> Subject:
    subject = db.session.query(Subject).filter_by(name=name).one_or_none()
    if subject is None:
        subject = Subject(name=name, slug=make_slug(name))
        db.session.add(subject)
    return subject


def get_contributor(name: str) -> Contributor:
    person = db.session.query(Contributor).filter_by(slug=make_slug(name)).one_or_none()
    if person is None:
        person = Contributor(name=name, slug=make_slug(name))
        db.session.add(person)
    return person


def get_series(name: str) -> Series:
    series = db.session.query(Series).filter_by(name=name).one_or_none()
    if series is None:
        series = Series(name=name, slug=make_slug(name))
        db.session.add(series)
    return series


def make_book(
    title: str | None = None,
    *,
    formats: tuple[str, ...] = ("paperback",),
    price_cents: int = 1600,
    on_hand: int = 10,
    published_on: date | None = date(2015, 1, 1),
    subjects: tuple[str, ...] = ("Fiction",),
    authors: tuple[str, ...] = ("Test Author",),
    series: tuple[str, int] | None = None,
    languages: str = "en",
    description: str = "",
    featured: bool = False,
    **fields,
) -> Book:
    """A book with one edition per format; ebooks get no stock."""
    n = next(_numbers)
    title = title or f"Test Book {n}"
    book = Book(
        title=title,
        slug=f"{make_slug(title)}-{n}",
        published_on=published_on,
        languages=languages,
        description=description or f"A test description of {title}.",
        featured=featured,
        **fields,
    )
    book.subjects = [get_subject(name) for name in subjects]
    for position, name in enumerate(authors):
        book.credits.append(
            BookContributor(
                contributor=get_contributor(name), role=ContributorRole.AUTHOR, position=position
            )
        )
    if series:
        book.series = get_series(series[0])
        book.series_position = series[1]
    for fmt in formats:
        physical = Format(fmt).is_physical
        book.editions.append(
            Edition(
                format=Format(fmt),
                isbn13=next_isbn(),
                price_cents=price_cents if physical else max(price_cents - 600, 0),
                on_hand=on_hand if physical else 0,
            )
        )
    db.session.add(book)
    db.session.flush()
    return book


def make_user(
    email: str | None = None,
    *,
    name: str = "Test Shopper",
    password: str = TEST_PASSWORD,
    role: Role = Role.CUSTOMER,
) -> User:
    """A user whose password is ``password`` (hashed once per distinct password)."""
    if password not in _HASH_CACHE:
        _HASH_CACHE[password] = generate_password_hash(password)
    user = User(
        email=(email or f"shopper{next(_numbers)}@example.com").lower(),
        name=name,
        password_hash=_HASH_CACHE[password],
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_many_books(
    count: int,
    *,
    subject: str = "Bulk",
    author: str = "Bulk Author",
    series: str | None = None,
    start: date = date(2000, 1, 1),
) -> list[int]:
    """``count`` books (paperback + ebook each) inserted in bulk, for catalog-size tests.

    Dates rise one day per book from ``start``; every 50th book is featured. Returns the ids.
    """
    from datetime import timedelta

    from sqlalchemy import insert

    from bookstore.catalog.models import book_subjects
    from bookstore.dbtypes import utcnow

    subject_row = get_subject(subject)
    person = get_contributor(author)
    series_row = get_series(series) if series else None
    db.session.flush()
    batch = next(_numbers)
    now = utcnow()
    rows = [
        {
            "title": f"Bulk Book {batch}-{i}",
            "subtitle": "",
            "slug": f"bulk-book-{batch}-{i}",
            "description": "A book made in bulk for tests.",
            "original_title": "",
            "languages": "en",
            "published_on": start + timedelta(days=i),
            "series_id": series_row.id if series_row else None,
            "series_position": i + 1 if series_row else None,
            "featured": i % 50 == 0,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    ids = list(
        db.session.scalars(insert(Book).returning(Book.id, sort_by_parameter_order=True), rows)
    )
    db.session.execute(
        insert(Edition),
        [
            {
                "book_id": book_id,
                "format": fmt,
                "isbn13": next_isbn(),
                "price_cents": 1500 + (book_id % 7) * 100 if fmt.is_physical else 900,
                "on_hand": 5 if fmt.is_physical else 0,
                "reserved": 0,
                "out_of_print": False,
                "active": True,
                "created_at": now,
            }
            for book_id in ids
            for fmt in (Format.PAPERBACK, Format.EBOOK)
        ],
    )
    db.session.execute(
        insert(BookContributor),
        [
            {
                "book_id": i,
                "contributor_id": person.id,
                "role": ContributorRole.AUTHOR,
                "position": 0,
            }
            for i in ids
        ],
    )
    db.session.execute(
        insert(book_subjects), [{"book_id": i, "subject_id": subject_row.id} for i in ids]
    )
    return ids
