"""Book cards, rendered once per book and audience and kept while the catalog stays the same.

List pages (browse, search, subjects, the home page, "you may also like") are mostly cards,
and a card is the same on every page that shows its book. So while a cacheable page is being
rendered (``page_cache.part_scope``), each card's HTML is kept in this process's memory under
the page cache's generation, the shop's day and the visitor's audience (members see member
prices), and used again while the stock of its editions is unchanged and until a hold or
a member discount it reflects lapses. A list of books is a ``BookList`` of ids; only the books
whose card is not kept are loaded from the database.

Staff, and every page while the page cache is off, get cards rendered afresh.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, overload

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from bookstore import contexts, page_cache
from bookstore.catalog.models import (
    Book,
    BookContributor,
    Edition,
    Format,
    Subject,
    book_subjects,
)
from bookstore.dbtypes import read_date, utcnow
from bookstore.extensions import db


class BookList(Sequence[Book]):
    """Books in the order of ``ids``, loaded with what a card shows (editions, authors) the
    first time something reads them; ``book_cards`` loads only those it has no card for."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = list(ids)
        self._books: list[Book] | None = None

    def _loaded(self) -> list[Book]:
        if self._books is None:
            found = _load(self.ids)
            self._books = [found[i] for i in self.ids if i in found]
        return self._books

    def for_cards(self, ids: list[int]) -> Mapping[int, Book | CardBook]:
        """What the cards of these books (a subset of the list's) show, by book id."""
        if self._books is not None:
            return {book.id: book for book in self._books}
        return load_for_cards(ids)

    def __len__(self) -> int:
        return len(self._books) if self._books is not None else len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Book: ...

    @overload
    def __getitem__(self, index: slice) -> list[Book]: ...

    def __getitem__(self, index):
        return self._loaded()[index]

    def __iter__(self) -> Iterator[Book]:
        return iter(self._loaded())

    def __add__(self, other: Sequence[Book]) -> list[Book]:
        return list(self) + list(other)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a list of books, like a list

    def __repr__(self) -> str:
        return f"<BookList {self.ids}>"


def _load(ids: list[int]) -> dict[int, Book]:
    if not ids:
        return {}
    stmt = (
        select(Book)
        .where(Book.id.in_(ids))
        .options(
            selectinload(Book.editions),
            selectinload(Book.credits).joinedload(BookContributor.contributor),
        )
    )
    books = {book.id: book for book in db.session.scalars(stmt)}
    for book in books.values():
        link_editions(book)
    return books


def link_editions(book: Book) -> None:
    """Point each loaded edition back at its book, sparing a lazy load per edition."""
    for edition in book.editions:
        set_committed_value(edition, "book", book)


# -- What a card shows, read with Core rows -------------------------------------------------------


class CardEdition:
    """An edition as a card reads it: the model's own rules (status, copies) on plain values.
    Cards read only active editions (an inactive one shows nothing on a card)."""

    __slots__ = (
        "id",
        "book_id",
        "book",
        "format",
        "price_cents",
        "published_on",
        "on_hand",
        "reserved",
        "low_stock_threshold",
        "out_of_print",
        "is_physical",
    )
    active = True
    status_on = Edition.status_on
    available = Edition.__dict__["available"]

    def __init__(self, book: CardBook, row) -> None:
        """``row``: the edition's columns as the driver gives them (see ``_CARD_SQL``)."""
        self.book = book
        self.book_id = book.id
        (
            self.id,
            fmt,
            self.price_cents,
            published_on,
            self.on_hand,
            self.reserved,
            self.low_stock_threshold,
            out_of_print,
        ) = row
        self.format = _FORMATS[fmt]
        # Asked twice a card (its copies, its badge): the format's own rule, read once.
        self.is_physical = _PHYSICAL[fmt]
        self.published_on = read_date(published_on)
        # SQLite gives 0 and 1: True and False, as the ORM would give.
        self.out_of_print = bool(out_of_print)


_FORMATS = {fmt.value: fmt for fmt in Format}
_PHYSICAL = {fmt.value: fmt.is_physical for fmt in Format}


@dataclass(frozen=True, slots=True)
class CardPerson:
    name: str


class CardBook:
    """A book as a card shows it (title, cover, authors, rating, editions)."""

    __slots__ = (
        "id",
        "title",
        "slug",
        "cover_image",
        "published_on",
        "review_count",
        "rating_total",
        "authors",
        "editions",
    )
    average_rating = Book.__dict__["average_rating"]

    def __init__(self, row) -> None:
        (
            self.id,
            self.title,
            self.slug,
            self.cover_image,
            self.published_on,
            self.review_count,
            self.rating_total,
        ) = row
        self.published_on = read_date(self.published_on)
        self.authors: list[CardPerson] = []
        self.editions: list[CardEdition] = []

    @property
    def subjects(self) -> list[Subject]:
        """Read only while a member discount is scoped to subjects (one query a book)."""
        return list(
            db.session.scalars(
                select(Subject)
                .join(book_subjects, book_subjects.c.subject_id == Subject.id)
                .where(book_subjects.c.book_id == self.id)
            )
        )


# What cards show, in one statement: the books, a row for each of their active editions and
# authors (NULLs for a book without either), authors in credit order (editions in no order: a
# card sorts them itself, availability.sorted_editions). It runs on the driver's connection, in
# the session's transaction, as search's statements do (catalog/search_statements.py): it only
# reads, and SQLAlchemy's execution of it (an IN list expanded for each number of cards, each
# id a bound parameter) cost the worker more than SQLite spends running it.
_CARD_SQL = (
    "SELECT books.id, books.title, books.slug, books.cover_image, books.published_on,"
    " books.review_count, books.rating_total,"
    " editions.id, editions.format, editions.price_cents, editions.published_on,"
    " editions.on_hand, editions.reserved, editions.low_stock_threshold, editions.out_of_print,"
    " book_contributors.contributor_id, contributors.name"
    " FROM books"
    " LEFT OUTER JOIN editions ON editions.book_id = books.id AND editions.active"
    " LEFT OUTER JOIN book_contributors ON book_contributors.book_id = books.id"
    " AND book_contributors.role = 'author'"
    " LEFT OUTER JOIN contributors ON contributors.id = book_contributors.contributor_id"
    " WHERE {ids}"
    " ORDER BY book_contributors.position, book_contributors.contributor_id"
)
# On PostgreSQL the ids are one array: the statement's text is the same whatever their
# number, so psycopg prepares it and PostgreSQL plans it once per connection (``IN`` with a
# parameter per id was a new text, parsed and planned afresh, for each number of cards).
# The array goes as its text ('{1,2,3}'), which the statement's cast reads: psycopg's dumping
# of a Python list (its elements' types found, each one dumped) cost a fifth or more of the
# statement's time in the worker (45-70 us of 250-300 for 23 ids).
_CARDS_BY_ARRAY = _CARD_SQL.replace("{ids}", "books.id = ANY(%(ids)s::integer[])")
# Where each part of a card row starts: the book's columns, its edition's, an author's.
_BOOK, _EDITION = slice(0, 7), slice(7, 15)
_EDITION_ID, _AUTHOR_ID = 7, 15


@functools.lru_cache(maxsize=128)
def _cards_by_list(count: int) -> str:
    """The statement for ``count`` ids on SQLite (which has no arrays)."""
    return _CARD_SQL.replace("{ids}", f"books.id IN ({', '.join('?' * count)})")


def _int_array(ids: list[int]) -> str:
    """PostgreSQL's text form of an array of these integers."""
    return "{" + ",".join([str(int(i)) for i in ids]) + "}"


def _card_rows(ids: list[int]) -> list[tuple]:
    """The rows of ``_CARD_SQL`` for these books, as the driver gives them."""
    session = db.session()
    session.flush()  # as session.execute would (autoflush): books added but not flushed count
    connection = session.connection()
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        cursor = driver.execute(_CARDS_BY_ARRAY, {"ids": _int_array(ids)})
    else:
        cursor = driver.execute(_cards_by_list(len(ids)), ids)
    try:
        rows: list[tuple] = cursor.fetchall()
    finally:
        cursor.close()
    return rows


def load_for_cards(ids: list[int]) -> dict[int, CardBook]:
    """What the cards of these books show, read in one statement of plain rows."""
    if not ids:
        return {}
    books: dict[int, CardBook] = {}
    # A book with two editions and two authors has four rows: each edition and author once.
    seen_editions: set[int] = set()
    seen_authors: set[tuple[int, int]] = set()
    for row in _card_rows(ids):
        book = books.get(row[0])
        if book is None:
            book = books[row[0]] = CardBook(row[_BOOK])
        edition_id = row[_EDITION_ID]
        if edition_id is not None and edition_id not in seen_editions:
            seen_editions.add(edition_id)
            book.editions.append(CardEdition(book, row[_EDITION]))
        author_id = row[_AUTHOR_ID]
        if author_id is not None and (book.id, author_id) not in seen_authors:
            seen_authors.add((book.id, author_id))
            book.authors.append(CardPerson(row[_AUTHOR_ID + 1]))
    return books


# -- Kept cards -----------------------------------------------------------------------------------


class _Card(NamedTuple):
    html: Markup
    editions: frozenset[int]
    rendered_at: int  # the stock sequence its data was read at
    until: datetime | None  # a hold or a member discount it shows lapses then


class _Kept:
    """A bounded map, least recently used first out (one per process, shared by threads).
    A list's cards are looked up, and stored, all at once: one lock each way."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, _Card] = OrderedDict()
        self.lock = threading.Lock()

    def get_many(self, keys: list[tuple]) -> list[_Card | None]:
        entries = self.entries
        with self.lock:
            cards = [entries.get(key) for key in keys]
            for key, card in zip(keys, cards, strict=True):
                if card is not None:
                    entries.move_to_end(key)
        return cards

    def put_many(self, items: list[tuple[tuple, _Card]]) -> None:
        entries = self.entries
        with self.lock:
            for key, card in items:
                entries[key] = card
                entries.move_to_end(key)
            while len(entries) > self.size:
                entries.popitem(last=False)


def _kept() -> _Kept | None:
    app = contexts.app()
    size = int(app.config.get("CARD_CACHE_ENTRIES", 10_000))
    if size <= 0:
        return None
    kept = app.extensions.get("book_cards")
    if kept is None or kept.size != size:
        kept = app.extensions["book_cards"] = _Kept(size)
    return kept


def book_cards(
    books: Sequence[Book],
    level: int = 3,
    notes: Mapping[int, str] | None = None,
    eager: int = 6,
) -> list[Markup]:
    """The cards of ``books`` in order (the first ``eager`` load their cover at once)."""
    ids = books.ids if isinstance(books, BookList) else [book.id for book in books]
    scope = page_cache.part_scope()
    kept = _kept() if scope is not None else None
    keys = [
        (book_id, level, notes.get(book_id) if notes else None, position >= eager)
        for position, book_id in enumerate(ids)
    ]
    known: list[_Card | None] = [None] * len(keys)
    if kept is not None and scope is not None:
        known = kept.get_many([(scope[0], key) for key in keys])
    now = utcnow()
    cards: list[Markup | None] = [None] * len(ids)
    wanted: list[tuple[int, tuple]] = []
    shown: set[int] = set()  # the editions whose stock the cards show
    for position, (key, card) in enumerate(zip(keys, known, strict=True)):
        if card is not None and _still_true(card, now):
            shown.update(card.editions)
            if card.until is not None:
                page_cache.keep_until(card.until)
            cards[position] = card.html
        else:
            wanted.append((position, key))
    if wanted:
        from bookstore.catalog import card_html  # it renders with the catalog's helpers

        found: Mapping[int, Book | CardBook]
        if isinstance(books, BookList):
            found = books.for_cards([key[0] for _, key in wanted])
        else:
            found = {book.id: book for book in books}
        context = card_html.CardContext()
        rendered: list[tuple[tuple, Markup, frozenset[int]]] = []
        for position, key in wanted:
            book = found.get(key[0])
            if book is None:  # gone since its id was read
                continue
            book_id, card_level, note, lazy = key
            html = card_html.book_card(book, card_level, note, lazy=lazy, context=context)
            cards[position] = html
            editions = frozenset([edition.id for edition in book.editions])
            shown.update(editions)
            rendered.append((key, html, editions))
        if kept is not None and scope is not None:
            # What the cards show lapses when the page does (a hold, a member discount): the
            # moments their rendering noted are the page's (page_cache.keep_until).
            until = page_cache.page_until()
            kept.put_many(
                [
                    ((scope[0], key), _Card(html, editions, scope[1], until))
                    for key, html, editions in rendered
                ]
            )
    page_cache.shows_editions(shown)
    return [card for card in cards if card is not None]


def _still_true(card: _Card, now: datetime) -> bool:
    """No hold or discount it shows has lapsed, and its editions' stock is unchanged."""
    if card.until is not None and now >= card.until:
        return False
    return page_cache.stock_current(card.rendered_at, card.editions)
