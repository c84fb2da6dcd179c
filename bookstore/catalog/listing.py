"""Book lists: filters and sorts read from a URL, and pages of books in a constant number of
queries whatever the catalog's size.

A page is one query for the page's book ids (index-backed sort, bounded OFFSET), one capped
count, and one load of those books with their editions and authors (``selectinload``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import Select, and_, exists, func, literal, or_, select
from sqlalchemy.orm import selectinload

from bookstore.catalog.models import (
    Book,
    BookContributor,
    Edition,
    Format,
    Series,
    Subject,
    book_subjects,
)
from bookstore.errors import NotFound
from bookstore.extensions import db

SORTS = {"newest": "Newest first", "title": "Title A–Z", "price": "Price, low to high"}
DEFAULT_SORT = "newest"
AVAILABILITY = {"available": "Available now", "preorder": "Preorder"}
LANGUAGES = {
    "en": "English",
    "ru": "Russian",
    "uk": "Ukrainian",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pl": "Polish",
}
# Pages past this are refused: OFFSET stays bounded; filters and search reach the rest.
MAX_PAGE = 1000
# Counts stop here ("1,000+ books"): never a COUNT over the whole catalog on a page view.
COUNT_CAP = 1000
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,219}$")


@dataclass(frozen=True)
class BrowseFilters:
    """The filters, sort and page of a book list, as read from (and written to) a URL."""

    subject: Subject | None = None
    series: Series | None = None
    format: Format | None = None
    language: str | None = None
    availability: str | None = None
    sort: str = DEFAULT_SORT
    page: int = 1

    def to_args(self, **changes) -> dict[str, str | int]:
        """Query-string arguments in a fixed order, defaults left out: stable page URLs."""
        f = replace(self, **changes) if changes else self
        args: dict[str, str | int] = {}
        if f.subject is not None:
            args["subject"] = f.subject.slug
        if f.series is not None:
            args["series"] = f.series.slug
        if f.format is not None:
            args["format"] = f.format.value
        if f.language:
            args["language"] = f.language
        if f.availability:
            args["availability"] = f.availability
        if f.sort != DEFAULT_SORT and f.sort in SORTS:
            args["sort"] = f.sort
        if f.page != 1:
            args["page"] = f.page
        return args

    @property
    def is_filtered(self) -> bool:
        return any((self.subject, self.series, self.format, self.language, self.availability))


@dataclass
class BookPage:
    """One page of a book list."""

    books: list[Book]
    page: int
    page_size: int
    has_next: bool
    total: int
    total_capped: bool
    filters: BrowseFilters = field(default_factory=BrowseFilters)
    # Arguments fixed by the page's own URL (a subject page's subject), left out of links.
    fixed: frozenset[str] = frozenset()

    def url_args(self, **changes) -> dict[str, str | int]:
        """Query arguments for a link to this list with ``changes`` (another page or sort)."""
        args = self.filters.to_args(**changes)
        return {k: v for k, v in args.items() if k not in self.fixed}

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.books else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.page_size + len(self.books)

    @property
    def last_page(self) -> int | None:
        """The number of the last page, when the count was not capped."""
        if self.total_capped:
            return None
        return max(1, -(-self.total // self.page_size))


def parse_page(raw: str | None) -> int:
    """A page number from the URL: a whole number from 1 to MAX_PAGE, else ``NotFound``."""
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise NotFound(f"There is no page {raw[:20]!r} of this list.")
    return int(raw)


def parse_filters(args: Mapping[str, str], *, allowed: tuple[str, ...] | None = None):
    """Read filters from query arguments; an unknown value raises ``NotFound``.

    An unknown ``sort`` falls back to the default rather than failing: it changes nothing
    about which books exist. Filters outside ``allowed`` are ignored.
    """

    def wanted(name: str) -> str | None:
        if allowed is not None and name not in allowed:
            return None
        value = (args.get(name) or "").strip()
        return value or None

    values: dict = {"page": parse_page(args.get("page"))}
    sort = args.get("sort")
    values["sort"] = sort if sort in SORTS else DEFAULT_SORT
    if slug := wanted("subject"):
        values["subject"] = _by_slug(Subject, slug, "subject")
    if slug := wanted("series"):
        values["series"] = _by_slug(Series, slug, "series")
    if fmt := wanted("format"):
        try:
            values["format"] = Format(fmt)
        except ValueError:
            raise NotFound(f"There is no format {fmt[:20]!r}.") from None
    if language := wanted("language"):
        if language not in LANGUAGES:
            raise NotFound(f"There are no books in the language {language[:20]!r}.")
        values["language"] = language
    if availability := wanted("availability"):
        if availability not in AVAILABILITY:
            raise NotFound(f"There is no availability filter {availability[:20]!r}.")
        values["availability"] = availability
    return BrowseFilters(**values)


def _by_slug(model, slug: str, what: str):
    found = (
        db.session.scalar(select(model).where(model.slug == slug)) if _SLUG.match(slug) else None
    )
    if found is None:
        raise NotFound(f"There is no {what} {slug[:40]!r}.")
    return found


def _filtered(stmt: Select, filters: BrowseFilters, today: date) -> Select:
    if filters.subject is not None:
        stmt = stmt.where(
            exists().where(
                book_subjects.c.book_id == Book.id,
                book_subjects.c.subject_id == filters.subject.id,
            )
        )
    if filters.series is not None:
        stmt = stmt.where(Book.series_id == filters.series.id)
    if filters.format is not None:
        stmt = stmt.where(
            exists().where(
                Edition.book_id == Book.id, Edition.format == filters.format, Edition.active
            )
        )
    if filters.language:
        padded = literal(" ") + Book.languages + literal(" ")
        stmt = stmt.where(padded.like(f"% {filters.language} %"))
    if filters.availability:
        released = func.coalesce(Edition.published_on, Book.published_on)
        on_sale = [Edition.book_id == Book.id, Edition.active, ~Edition.out_of_print]
        if filters.format is not None:
            on_sale.append(Edition.format == filters.format)
        if filters.availability == "preorder":
            condition = and_(*on_sale, released > today)
        else:
            condition = and_(
                *on_sale,
                or_(released.is_(None), released <= today),
                or_(Edition.format == Format.EBOOK, Edition.on_hand > Edition.reserved),
            )
        stmt = stmt.where(exists().where(condition))
    return stmt


def _page_ids(base: Select, filters: BrowseFilters, offset: int, limit: int) -> list[int]:
    """Ids of one page in the chosen order."""
    if filters.sort == "title":
        stmt = base.order_by(Book.title, Book.id)
    elif filters.sort == "position":
        stmt = base.order_by(Book.series_position.is_(None), Book.series_position, Book.id)
    elif filters.sort == "price":
        prices = select(Edition.book_id, func.min(Edition.price_cents).label("price")).where(
            Edition.active
        )
        if filters.format is not None:
            prices = prices.where(Edition.format == filters.format)
        prices = prices.group_by(Edition.book_id).subquery()
        stmt = base.outerjoin(prices, prices.c.book_id == Book.id).order_by(
            prices.c.price.is_(None), prices.c.price, Book.id
        )
    else:
        return _newest_ids(base, offset, limit)
    return list(db.session.scalars(stmt.offset(offset).limit(limit)))


def _newest_ids(base: Select, offset: int, limit: int) -> list[int]:
    """Newest first, undated books last, on SQLite and PostgreSQL alike.

    The databases put NULL dates at opposite ends, and ``NULLS LAST`` would defeat the date
    index on PostgreSQL; so dated books come from the index and undated ones follow.
    """
    dated = base.where(Book.published_on.is_not(None)).order_by(
        Book.published_on.desc(), Book.id.desc()
    )
    ids = list(db.session.scalars(dated.offset(offset).limit(limit)))
    if len(ids) == limit:
        return ids
    dated_total = offset + len(ids)
    if not ids and offset:
        dated_total = db.session.scalar(select(func.count()).select_from(dated.subquery()))
    undated = base.where(Book.published_on.is_(None)).order_by(Book.id.desc())
    rest = db.session.scalars(undated.offset(max(offset - dated_total, 0)).limit(limit - len(ids)))
    return ids + list(rest)


def load_cards(ids: list[int]) -> list[Book]:
    """Books with what a book card shows (editions, authors), in the order of ``ids``."""
    if not ids:
        return []
    stmt = (
        select(Book)
        .where(Book.id.in_(ids))
        .options(
            selectinload(Book.editions),
            selectinload(Book.credits).joinedload(BookContributor.contributor),
        )
    )
    books = {book.id: book for book in db.session.scalars(stmt)}
    return [books[i] for i in ids if i in books]


def list_books(
    filters: BrowseFilters,
    today: date,
    page_size: int,
    base: Select | None = None,
    fixed: frozenset[str] = frozenset(),
) -> BookPage:
    """One page of books matching ``filters``; a page past the end raises ``NotFound``.

    ``base`` narrows the list further (a contributor's books); ``fixed`` names arguments the
    page's own URL already carries.
    """
    base = _filtered(base if base is not None else select(Book.id), filters, today)
    offset = (filters.page - 1) * page_size
    ids = _page_ids(base, filters, offset, page_size + 1)
    if not ids and filters.page > 1:
        raise NotFound(f"This list has no page {filters.page}.")
    capped = base.order_by(None).limit(COUNT_CAP + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(capped)) or 0
    return BookPage(
        books=load_cards(ids[:page_size]),
        page=filters.page,
        page_size=page_size,
        has_next=len(ids) > page_size,
        total=min(total, COUNT_CAP),
        total_capped=total > COUNT_CAP,
        filters=filters,
        fixed=fixed,
    )


def filter_choices(filters: BrowseFilters, limit: int = 200) -> dict:
    """Options for the filter form: subjects and series (bounded lists), formats, languages."""
    subjects = list(db.session.scalars(select(Subject).order_by(Subject.name).limit(limit)))
    series = list(db.session.scalars(select(Series).order_by(Series.name).limit(limit)))
    if filters.subject is not None and filters.subject not in subjects:
        subjects.append(filters.subject)
    if filters.series is not None and filters.series not in series:
        series.append(filters.series)
    return {
        "subjects": subjects,
        "series": series,
        "formats": list(Format),
        "languages": LANGUAGES,
        "availability": AVAILABILITY,
        "sorts": SORTS,
    }
