"""Synthetic catalogs for load tests: ``flask demo generate --books N``.

Plausible books (titles, people, subjects, series, descriptions) with one to three editions each,
valid unique ISBN-13s in the 979-85 block (the demo catalog uses 979-8-99999 and the test
builders 979-0), prices and stock. Fast: rows go in with Core ``executemany`` in batches, with
the search triggers paused for the batch and the index of the batch's books built in one
statement (``bookstore.catalog.search_index``).

Each batch is its own transaction, committed here: a bulk loader that held 100,000 books in one
transaction would gain nothing and lose everything on Ctrl+C. Running the generator again adds
more books; ids, slugs and ISBNs never collide with what is already there.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from bookstore.catalog.isbn import check_digit
from bookstore.catalog.models import (
    Book,
    BookContributor,
    Contributor,
    Edition,
    Series,
    StockMovement,
    Subject,
    book_subjects,
)
from bookstore.catalog.search_index import (
    merge_search_index,
    paused_search_index,
    reindex_books,
)
from bookstore.catalog.transliteration import search_aliases
from bookstore.dbtypes import utcnow
from bookstore.demo import synthetic_words as words
from bookstore.extensions import db
from bookstore.slugs import make_slug

_NOT_SLUG = re.compile(r"[^a-z0-9]+")

ISBN_PREFIX = "97985"  # 979-8 (US) registrant block 5: 10 million synthetic editions
BATCH_SIZE = 5_000
STOCK_REASON = "demo"

FORMAT_SETS = [
    (("paperback",), 20),
    (("paperback", "ebook"), 35),
    (("hardcover", "paperback", "ebook"), 15),
    (("hardcover", "ebook"), 10),
    (("hardcover",), 5),
    (("ebook",), 10),
    (("hardcover", "paperback"), 5),
]


@dataclass
class Generated:
    books: int = 0
    editions: int = 0
    contributors: int = 0
    series: int = 0
    seconds: float = 0.0


def generate_books(
    count: int, *, seed: int = 1, echo: Callable[[str], object] = print
) -> Generated:
    """Add ``count`` synthetic books with editions and stock; commits batch by batch."""
    rng = random.Random(seed)  # noqa: S311  (made-up books, not secrets)
    started = time.perf_counter()
    done = Generated()
    session = db.session
    today = utcnow().date()
    echo(f"Generating {count:,} synthetic books (seed {seed})...")

    conn = session.connection()
    if conn.dialect.name == "sqlite":
        # Inserts into the books' indexes (slug, title...) come in random key order: with
        # SQLite's default 2 MB page cache they spend most of their time re-reading pages.
        conn.exec_driver_sql("PRAGMA cache_size = -262144")
    # Pausing first also takes SQLite's write lock before any id is read.
    with paused_search_index(conn):
        pool = _Pools(conn, rng, count)
    done.contributors, done.series = len(pool.people), len(pool.series)
    session.commit()

    analysed_at = 0
    while done.books < count:
        size = min(BATCH_SIZE, count - done.books)
        conn = session.connection()
        with paused_search_index(conn):
            first, last, editions = _Batch(conn, rng, pool, today).insert(size)
            reindex_books(conn, first, last)
        session.commit()
        done.books += size
        if done.books >= 2 * analysed_at:
            _analyse(session)
            analysed_at = done.books
        done.editions += editions
        rate = done.books / max(time.perf_counter() - started, 1e-6)
        echo(f"  {done.books:>9,} / {count:,} books  ({rate:,.0f} books/s)")

    merge_search_index(session.connection())
    session.commit()
    if conn.dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA cache_size = -2000")
    done.seconds = time.perf_counter() - started
    echo(
        f"Done: {done.books:,} books, {done.editions:,} editions, {done.contributors:,} new "
        f"people and {done.series:,} new series in {done.seconds:.1f} s."
    )
    return done


def _analyse(session) -> None:
    """Refresh PostgreSQL's statistics of the tables the index rebuild reads.

    Fresh tables look empty to the planner until autovacuum gets to them, and the rebuild's
    per-book subqueries then scan whole tables: a 5,000-book batch took 25-45 s instead of one.
    Done whenever the catalog has doubled, so a large run pays for a handful of ANALYZEs; in a
    transaction of its own (inside a batch's, it could deadlock with autovacuum), and skipped
    if it fails, since statistics only make the next batches faster.
    """
    if session.connection().dialect.name != "postgresql":
        return
    try:
        session.connection().exec_driver_sql(f"ANALYZE {', '.join(_ANALYSED)}")
        session.commit()
    except OperationalError:
        session.rollback()


_ANALYSED = ("books", "editions", "book_contributors", "contributors", "series", "book_subjects")


# --- ids, ISBNs, fast inserts ------------------------------------------------------------------


def _allocate_ids(conn: Connection, table: str, n: int) -> list[int]:
    """``n`` fresh primary keys of ``table``: from its sequence on PostgreSQL, after max(id)
    on SQLite (the caller already holds SQLite's single write lock)."""
    if n == 0:
        return []
    if conn.dialect.name == "postgresql":
        sql = f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"  # noqa: S608, E501  (our table names)
        return list(conn.execute(text(sql), {"n": n}).scalars())
    start = conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one()  # noqa: S608
    return list(range(start + 1, start + 1 + n))


def _bulk_insert(conn: Connection, table: Table, columns: tuple[str, ...], rows: list) -> None:
    """Insert tuples through the driver: COPY on PostgreSQL, executemany on SQLite.

    The ORM's per-row work (and even Core's parameter processing) would dominate a 100,000-book
    run; the values here are already in the database's own form (see ``_Batch.date``).
    """
    if not rows:
        return
    names = ", ".join(columns)
    cursor = conn.connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)  # noqa: S608
    finally:
        cursor.close()


def _next_isbn_number(conn: Connection) -> int:
    """The first free number of the synthetic ISBN block."""
    top = conn.execute(
        select(func.max(Edition.isbn13)).where(Edition.isbn13.like(ISBN_PREFIX + "%"))
    ).scalar()
    return int(top[len(ISBN_PREFIX) : 12]) + 1 if top else 0


def _isbn(number: int) -> str:
    body = f"{ISBN_PREFIX}{number:07d}"
    if len(body) != 12:
        raise RuntimeError("The synthetic ISBN block is full.")
    return body + check_digit(body)


def _slug(text_: str, key: int) -> str:
    # Synthetic names are ASCII words: a regex is enough, and much faster than slugify.
    return f"{_NOT_SLUG.sub('-', text_.lower()).strip('-')}-{key}"


def _fill(template: str, rng: random.Random) -> str:
    choice = rng.choice
    adj = choice(words.ADJECTIVES)
    noun = choice(words.NOUNS)
    return template.format(
        adj=adj,
        adj_l=adj.lower(),
        noun=noun,
        noun2=choice(words.NOUNS),
        noun_l=noun.lower(),
        place=choice(words.PLACES),
        place2=choice(words.PLACES),
        name=f"{choice(words.FIRST_NAMES)} {choice(words.LAST_NAMES)}",
    )


class _Pools:
    """People, series and subjects that this run's books draw from (inserted up front)."""

    def __init__(self, conn: Connection, rng: random.Random, count: int):
        self.subjects = self._subjects(conn)
        self.people = _allocate_ids(conn, "contributors", max(20, count // 4))
        rows = []
        for pid in self.people:
            name = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
            rows.append((pid, name, _slug(name, pid), ""))
        _bulk_insert(conn, Contributor.__table__, ("id", "name", "slug", "bio"), rows)

        taken = set(conn.execute(select(Series.name)).scalars())
        self.series = _allocate_ids(conn, "series", max(3, count // 40))
        rows = []
        for sid in self.series:
            base = name = _fill(rng.choice(words.SERIES), rng)
            n = 2
            while name in taken:
                name, n = f"{base} {n}", n + 1
            taken.add(name)
            rows.append((sid, name, _slug(name, sid), "A synthetic series for load tests."))
        _bulk_insert(conn, Series.__table__, ("id", "name", "slug", "description"), rows)
        self.series_next = dict.fromkeys(self.series, 1)
        self.isbn_number = _next_isbn_number(conn)

    @staticmethod
    def _subjects(conn: Connection) -> list[int]:
        existing = dict(conn.execute(select(Subject.slug, Subject.id)).all())
        missing = [(n, make_slug(n)) for n in words.SUBJECTS if make_slug(n) not in existing]
        if missing:
            _bulk_insert(conn, Subject.__table__, ("name", "slug"), missing)
            existing = dict(conn.execute(select(Subject.slug, Subject.id)).all())
        return [existing[make_slug(n)] for n in words.SUBJECTS if make_slug(n) in existing]


# --- one batch of books -----------------------------------------------------------------------

BOOK_COLUMNS = (
    "id", "title", "subtitle", "slug", "description", "original_title", "languages",
    "published_on", "series_id", "series_position", "featured", "cover_image", "created_at",
    "updated_at", "search_aliases",
)  # fmt: skip
EDITION_COLUMNS = (
    "id", "book_id", "format", "isbn13", "price_cents", "pages", "published_on", "on_hand",
    "reserved", "low_stock_threshold", "out_of_print", "active", "created_at",
)  # fmt: skip
CREDIT_COLUMNS = ("book_id", "contributor_id", "role", "position")
MOVEMENT_COLUMNS = ("edition_id", "delta", "reason", "note", "created_at")
ROLE_CHANCES = (("translator", 0.25), ("illustrator", 0.05), ("editor", 0.05))


class _Batch:
    """Rows of one batch of books, built in memory and inserted table by table."""

    def __init__(self, conn: Connection, rng: random.Random, pool: _Pools, today: date):
        self.conn, self.rng, self.pool, self.today = conn, rng, pool, today
        sqlite = conn.dialect.name == "sqlite"
        now = utcnow()
        # SQLite gets the text SQLAlchemy itself would store; PostgreSQL the Python values.
        self.date = date.isoformat if sqlite else (lambda d: d)
        self.now = now.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else now
        self.formats = [f for f, _ in FORMAT_SETS]
        self.format_weights = [w for _, w in FORMAT_SETS]

    def insert(self, size: int) -> tuple[int, int, int]:
        """Insert ``size`` books with all they own; returns (first id, last id, editions)."""
        conn, rng = self.conn, self.rng
        book_ids = _allocate_ids(conn, "books", size)
        books, credits, subjects, formats = [], [], [], []
        for book_id in book_ids:
            books.append(self._book(book_id))
            credits += self._credits(book_id)
            picked = {rng.choice(self.pool.subjects) for _ in range(rng.choice((1, 1, 2, 3)))}
            subjects += [(book_id, s) for s in picked]
            formats.append(rng.choices(self.formats, self.format_weights)[0])

        edition_ids = iter(_allocate_ids(conn, "editions", sum(map(len, formats))))
        editions, movements = [], []
        for book_id, book_formats in zip(book_ids, formats, strict=True):
            base_price = rng.randrange(12, 30) * 100 - 5
            pages = rng.randrange(96, 720)
            for fmt in book_formats:
                edition_id = next(edition_ids)
                on_hand = rng.randrange(1, 60) if fmt != "ebook" and rng.random() > 0.08 else 0
                price = {"paperback": base_price, "hardcover": base_price + 1000}.get(
                    fmt, max(base_price - 800, 499)
                )
                isbn = _isbn(self.pool.isbn_number)
                self.pool.isbn_number += 1
                editions.append(
                    (edition_id, book_id, fmt, isbn, price, pages, None, on_hand, 0, None,
                     rng.random() < 0.02, True, self.now)
                )  # fmt: skip
                if on_hand:
                    movements.append((edition_id, on_hand, STOCK_REASON, "synthetic", self.now))

        _bulk_insert(conn, Book.__table__, BOOK_COLUMNS, books)
        _bulk_insert(conn, BookContributor.__table__, CREDIT_COLUMNS, credits)
        _bulk_insert(conn, book_subjects, ("book_id", "subject_id"), subjects)
        _bulk_insert(conn, Edition.__table__, EDITION_COLUMNS, editions)
        _bulk_insert(conn, StockMovement.__table__, MOVEMENT_COLUMNS, movements)
        return min(book_ids), max(book_ids), len(editions)

    def _book(self, book_id: int) -> tuple:
        rng, pool = self.rng, self.pool
        title = _fill(rng.choice(words.TITLES), rng)
        if rng.random() < 0.03:  # a few preorders
            published = self.today + timedelta(days=rng.randrange(7, 240))
        else:
            published = self.today - timedelta(days=rng.randrange(0, 35 * 365))
        series_id = position = None
        if rng.random() < 0.15:
            series_id = rng.choice(pool.series)
            position = pool.series_next[series_id]
            pool.series_next[series_id] += 1
        original = ""
        if rng.random() < 0.1:
            original = f"{rng.choice(words.CYRILLIC_ADJECTIVES)} {rng.choice(words.CYRILLIC_NOUNS)}"
        subtitle = _fill(rng.choice(words.SUBTITLES), rng) if rng.random() < 0.3 else ""
        description = " ".join(
            _fill(rng.choice(words.SENTENCES), rng) for _ in range(rng.randrange(2, 4))
        )
        languages = "en" if rng.random() < 0.9 else rng.choice(("en ru", "en ru", "ru"))
        return (
            book_id, title, subtitle, _slug(title, book_id), description, original, languages,
            self.date(published), series_id, position, rng.random() < 0.01, None, self.now,
            self.now, search_aliases(title, original),  # as the Book model keeps it (Cyrillic)
        )  # fmt: skip

    def _credits(self, book_id: int) -> list[tuple]:
        rng = self.rng
        roles = ["author", "author"] if rng.random() < 0.2 else ["author"]
        roles += [role for role, chance in ROLE_CHANCES if rng.random() < chance]
        people: list[int] = []
        while len(people) < len(roles):
            person = rng.choice(self.pool.people)
            if person not in people:
                people.append(person)
        return [
            (book_id, person, role, position)
            for position, (person, role) in enumerate(zip(people, roles, strict=True))
        ]
