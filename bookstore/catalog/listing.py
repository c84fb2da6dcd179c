"""Book lists: filters and sorts read from a URL, and pages of books in a constant number of
queries whatever the catalog's size.

A page is one query for the page's book ids (index-backed sort, bounded OFFSET), one capped
count, and one load of what their cards show (``cards.load_for_cards``). While
the page cache is on, the order of a catalog list's books is kept in this process's memory
while the catalog stays the same (``_kept_order``): a page of a list seen before is a slice of
it, with no query at all, and a broad subject's order is picked from the catalog's
(``_subject_order``).
"""

from __future__ import annotations

import functools
import re
import threading
from array import array
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import islice

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from bookstore import page_cache
from bookstore.catalog.cards import BookList
from bookstore.catalog.models import (
    Book,
    Edition,
    Format,
    Series,
    Subject,
    book_subjects,
)
from bookstore.database import built_once
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
# A subject with fewer books is listed from its own index rather than by walking the sort's.
SMALL_SUBJECT = 1000
# Counts stop here ("500+ books"): never a COUNT over the whole catalog on a page view.
COUNT_CAP = 500
# Lists whose order one process keeps (each at most MAX_PAGE pages of ids, 4 bytes an id).
ORDERS_KEPT = 128
# Subjects one process keeps by slug for the subject filter, when there are no more.
SUBJECTS_KEPT = 1000
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,219}$")


@dataclass(frozen=True)
class KeptSubject:
    """A subject as a list's filter reads it, kept by this process (see ``_read_by_slug``)."""

    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class BrowseFilters:
    """The filters, sort and page of a book list, as read from (and written to) a URL."""

    subject: Subject | KeptSubject | None = None
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

    books: Sequence[Book]
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


# Every query parameter a catalog list reads (the page cache keys pages by these alone).
QUERY_PARAMS = ("subject", "format", "series", "language", "availability", "sort", "page")


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
    found = _read_by_slug(model, slug) if _SLUG.match(slug) else None
    if found is None:
        raise NotFound(f"There is no {what} {slug[:40]!r}.")
    return found


def _read_by_slug(model, slug: str):
    """The row with this slug. A subject, while a cacheable page is rendered, comes from this
    process's subjects by slug, kept while the catalog stays the same (a shop has dozens):
    a subject filter then costs no statement (a fifth of the browse pages have one)."""
    if model is Subject and page_cache.part_scope() is not None:
        kept = page_cache.kept_while_unchanged("subjects-by-slug", _subjects_by_slug)
        if kept is not None:
            return kept.get(slug)
    return db.session.scalar(_slug_query(model), {"slug": slug})


def _subjects_by_slug() -> dict[str, KeptSubject] | None:
    """Every subject by slug, or None when there are more than SUBJECTS_KEPT."""
    rows = db.session.execute(_subjects_query()).all()
    if len(rows) > SUBJECTS_KEPT:
        return None
    return {slug: KeptSubject(id, slug, name) for id, slug, name in rows}


@functools.cache  # built once per model (see database.built_once)
def _slug_query(model) -> Select:
    return select(model).where(model.slug == bindparam("slug"))


@built_once
def _subjects_query() -> Select:
    return select(Subject.id, Subject.slug, Subject.name).limit(SUBJECTS_KEPT + 1)


def _filtered(stmt: Select, filters: BrowseFilters, today: date) -> Select:
    if filters.subject is not None:
        in_subject = book_subjects.c.subject_id == filters.subject.id
        if _is_small(in_subject):
            # Its few books, read from the subject's index and sorted: walking the sort's
            # index would pass every book of the catalog to find them.
            stmt = stmt.where(Book.id.in_(select(book_subjects.c.book_id).where(in_subject)))
        else:
            # EXISTS while walking the sort's index: a broad subject's books come early.
            stmt = stmt.where(exists().where(book_subjects.c.book_id == Book.id, in_subject))
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
        page_cache.shows_all_stock()  # which books are in stock decides which are listed
        released = func.coalesce(Edition.published_on, Book.published_on)
        on_sale = [Edition.book_id == Book.id, Edition.active, ~Edition.out_of_print]
        if filters.format is not None:
            on_sale.append(Edition.format == filters.format)
        if filters.availability == "preorder":
            condition = and_(*on_sale, released > today)
            # Index-friendly pre-filter: only books or editions dated after today qualify.
            stmt = stmt.where(
                or_(
                    Book.published_on > today,
                    Book.id.in_(select(Edition.book_id).where(Edition.published_on > today)),
                )
            )
        else:
            condition = and_(
                *on_sale,
                or_(released.is_(None), released <= today),
                or_(Edition.format == Format.EBOOK, Edition.on_hand > Edition.reserved),
            )
        stmt = stmt.where(exists().where(condition))
    return stmt


def _is_small(in_subject: ColumnElement[bool]) -> bool:
    """Has the subject fewer than SMALL_SUBJECT books? (An index-only count that stops there.)"""
    some = select(book_subjects.c.book_id).where(in_subject).limit(SMALL_SUBJECT).subquery()
    return (db.session.scalar(select(func.count()).select_from(some)) or 0) < SMALL_SUBJECT


def _page_ids(base: Select, filters: BrowseFilters, offset: int, limit: int) -> list[int]:
    """Ids of one page in the chosen order."""
    if filters.sort == "title":
        stmt = base.order_by(Book.title, Book.id)
    elif filters.sort == "position":
        stmt = base.order_by(Book.series_position.is_(None), Book.series_position, Book.id)
    elif filters.sort == "price":
        return _cheapest_ids(base, filters, offset, limit)
    else:
        return _newest_ids(base, offset, limit)
    return _ids(stmt.offset(offset).limit(limit))


def _ids(stmt: Select, params: Mapping[str, object] | None = None) -> list[int]:
    """The ids a statement reads (its first column), as the driver's cursor gives them.

    A list's order is thousands of ids, which need no conversion: SQLAlchemy's result rows
    cost more than the database's work on them (24,000 ids: 16 ms through the ORM, 12 ms as
    Core rows, 7.5 ms from the cursor)."""
    session = db.session()
    session.flush()  # as session.scalars would (autoflush): books added but not flushed count
    result = session.connection().execute(stmt, params)
    try:
        return [row[0] for row in result.cursor.fetchall()]
    finally:
        result.close()


def _cheapest_ids(base: Select, filters: BrowseFilters, offset: int, limit: int) -> list[int]:
    """Lowest price first (a book's cheapest active edition), books without a price last.

    Unfiltered by format, this walks the index on ``books.min_price_cents`` (kept by triggers
    on editions). Within one format, a book has at most one edition of it
    (``uq_editions_book_id_format``): the editions of that format are read in (price, book)
    order from their index, each standing for its book; no GROUP BY over every edition of the
    catalog, and work grows with the page number, which MAX_PAGE bounds.
    """
    if filters.format is None:
        return _known_first(base, (Book.min_price_cents, Book.id), offset, limit)
    # An alias, so that the filters' own EXISTS over editions still correlate to books only.
    offer = aliased(Edition)
    priced = (
        base.join(offer, offer.book_id == Book.id)
        .where(offer.active, offer.format == filters.format)
        .order_by(offer.price_cents, offer.book_id)
    )
    ids = _ids(priced.offset(offset).limit(limit))
    if len(ids) == limit:
        return ids
    priced_total = offset + len(ids)
    if not ids and offset:
        priced_total = _count(priced)
    # Unpriced books (no active edition of the format) follow.
    on_sale = exists().where(
        Edition.book_id == Book.id, Edition.active, Edition.format == filters.format
    )
    rest = _ids(
        base.where(~on_sale)
        .order_by(Book.id)
        .offset(max(offset - priced_total, 0))
        .limit(limit - len(ids))
    )
    return ids + rest


def _newest_ids(base: Select, offset: int, limit: int) -> list[int]:
    """Newest first, undated books last."""
    return _known_first(base, (Book.published_on.desc(), Book.id.desc()), offset, limit)


def _known_first(base: Select, order: tuple, offset: int, limit: int) -> list[int]:
    """Books in ``order`` (its first column's value, then the id), those without a value last
    (by id, in the order's direction), on SQLite and PostgreSQL alike.

    The databases put NULLs at opposite ends, and ``NULLS LAST`` would defeat the index on
    PostgreSQL; so books with a value come from the index and the others follow.
    """
    first, by_id = order
    column = getattr(first, "element", first)  # the column under a .desc()
    known = base.where(column.is_not(None)).order_by(first, by_id)
    ids = _ids(known.offset(offset).limit(limit))
    if len(ids) == limit:
        return ids
    known_total = offset + len(ids)
    if not ids and offset:
        known_total = _count(known)
    unknown = base.where(column.is_(None)).order_by(by_id)
    rest = _ids(unknown.offset(max(offset - known_total, 0)).limit(limit - len(ids)))
    return ids + rest


def _count(stmt: Select) -> int:
    """How many rows a statement reads (uncapped: only for a page past a list's end)."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def load_cards(ids: list[int]) -> BookList:
    """Books with what a book card shows, in the order of ``ids``: loaded when first read, and
    only those whose card is not kept already (see ``cards``)."""
    return BookList(ids)


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
    offset = (filters.page - 1) * page_size
    # Only the catalog's own lists are kept; which books are in stock decides an availability
    # list, so it is read afresh.
    order = None
    if base is None and not filters.availability:
        order = _kept_order(filters, today, offset + page_size + 1, page_size)
    if order is not None:
        ids = list(order.ids[offset : offset + page_size + 1])
        # The whole list, or more books than the cap: the count is known.
        total = len(order.ids) if len(ids) > page_size else offset + len(ids)
    else:
        query = _filtered(base if base is not None else select(Book.id), filters, today)
        ids = _page_ids(query, filters, offset, page_size + 1)
        total = offset + len(ids)  # on the last page, the total is known without counting
        if len(ids) > page_size:
            capped = query.order_by(None).limit(COUNT_CAP + 1).subquery()
            total = db.session.scalar(select(func.count()).select_from(capped)) or 0
    if not ids and filters.page > 1:
        raise NotFound(f"This list has no page {filters.page}.")
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


@dataclass(frozen=True)
class _Order:
    """The first books of a list in order; ``complete`` when they are all its books."""

    generation: int | None
    ids: array
    complete: bool


_orders_lock = threading.Lock()


def _kept_order(filters: BrowseFilters, today: date, needed: int, page_size: int) -> _Order | None:
    """The list's order from its first book to at least the ``needed``-th (or its end), kept
    in this process while the page cache's generation stays the same: a write to the books,
    editions or subjects that could change a list starts a new one. Only while a cacheable
    page is being rendered (as book cards are): staff, and every page with the cache off, read
    the list afresh.

    Read once for page 1 (COUNT_CAP + 1 books, so a kept order also answers the count) and
    again, twice as far, when a later page goes past it; never past MAX_PAGE.
    """
    scope = page_cache.part_scope()
    if scope is None:
        return None
    generation = scope[0][0]
    key = (
        filters.subject.id if filters.subject is not None else None,
        filters.series.id if filters.series is not None else None,
        filters.format,
        filters.language,
        filters.sort,
    )
    kept: OrderedDict[tuple, _Order]
    kept = current_app.extensions.setdefault("list_orders", OrderedDict())
    with _orders_lock:
        order = kept.get(key)
        if order is not None:
            kept.move_to_end(key)
    if order is not None and order.generation == generation:
        if order.complete or len(order.ids) >= needed:
            return order
        known = len(order.ids)
    else:
        known = 0
    limit = min(max(needed, 2 * known, COUNT_CAP + 1), MAX_PAGE * page_size + 1)
    ids = _subject_order(filters, today, limit, page_size)
    if ids is None:
        ids = _page_ids(_filtered(select(Book.id), filters, today), filters, 0, limit)
    order = _Order(generation, array("i", ids), complete=len(ids) < limit)
    with _orders_lock:
        kept[key] = order
        kept.move_to_end(key)
        while len(kept) > ORDERS_KEPT:
            kept.popitem(last=False)
    return order


def _subject_order(
    filters: BrowseFilters, today: date, limit: int, page_size: int
) -> list[int] | None:
    """The first ``limit`` books of a subject's list, picked from the whole catalog's kept
    order in the same sort: None when that cannot tell (a small subject, more filters, or a
    kept catalog order that ends before ``limit`` of the subject's books).

    A broad subject's list read from the database walks the sort's index and probes the
    subject of every book it passes (a tenth of the catalog's books are in a subject: ten
    probes a book listed, 10-15 ms for a list's first pages); its books' ids from the
    subject's index and a walk of the catalog's order in memory cost a fraction of that.
    """
    if filters.subject is None or filters.series or filters.format or filters.language:
        return None
    members = _subject_members(filters.subject.id)
    if len(members) < SMALL_SUBJECT:
        return None  # the database lists a small subject from its own index quickly
    catalog = _kept_order(
        replace(filters, subject=None, page=1), today, MAX_PAGE * page_size + 1, page_size
    )
    if catalog is None:
        return None
    ids = list(islice((book_id for book_id in catalog.ids if book_id in members), limit))
    return ids if len(ids) == limit or catalog.complete else None


def _subject_members(subject_id: int) -> set[int]:
    """The ids of a subject's books (an index-only read), kept in this process while the
    catalog stays the same: the subject's list in each sort is picked with them. (Four bytes
    a book and subject: at most a few hundred kilobytes for a catalog of 100,000 books.)"""

    def read() -> array:
        return array("i", _ids(_subject_book_ids(), {"subject": subject_id}))

    return set(page_cache.kept_while_unchanged(f"subject-books:{subject_id}", read))


@built_once
def _subject_book_ids() -> Select:
    return select(book_subjects.c.book_id).where(book_subjects.c.subject_id == bindparam("subject"))


@dataclass(frozen=True)
class Choice:
    slug: str
    name: str


def _choices(model, chosen, limit: int) -> list[Choice] | None:
    """(slug, name) of every row, or None when there are more than ``limit`` of them."""

    def read() -> list[Choice]:
        rows = db.session.execute(
            select(model.slug, model.name).order_by(model.name).limit(limit + 1)
        )
        return [Choice(slug, name) for slug, name in rows]

    choices = page_cache.kept_while_unchanged(f"choices:{model.__tablename__}:{limit}", read)
    if len(choices) > limit:
        # A drop-down of thousands helps no one: the filter is then reached by its own pages.
        return [Choice(chosen.slug, chosen.name)] if chosen is not None else None
    return choices


def filter_choices(filters: BrowseFilters, limit: int = 100) -> dict:
    """Options for the filter form: subjects and series (when few enough), formats, languages."""
    return {
        "subjects": _choices(Subject, filters.subject, limit),
        "series": _choices(Series, filters.series, limit),
        "formats": list(Format),
        "languages": LANGUAGES,
        "availability": AVAILABILITY,
        "sorts": SORTS,
    }
