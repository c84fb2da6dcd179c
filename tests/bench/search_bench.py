"""Search speed at a large catalog: distinct queries, timed in-process (no page cache).

The catalog (``--search-books``, 1,000,000 by default) is generated once into its own
PostgreSQL schema and kept for later runs (``bench_search_<N>``; ``--fresh-search-catalog``
builds it again, ``--drop-search-catalog`` drops it after the run). Each query is one to three
random words of the catalog, one in ten Cyrillic, none repeated: ``search_books`` as the search
page calls it, from the match through loading the page's books.
"""

from __future__ import annotations

import random
import time

from sqlalchemy import create_engine, func, select, text

from bookstore import create_app
from bookstore.catalog.models import Book
from bookstore.catalog.search import search_books
from bookstore.extensions import db
from tests.bench import mixes
from tests.bench.catalog import postgres_base_url
from tests.bench.report import SearchFigures


def schema_name(books: int) -> str:
    return f"bench_search_{books}"


def open_catalog(books: int, *, fresh: bool, echo=print):
    """The app on the kept schema, made (or completed) as needed."""
    from flask_migrate import upgrade

    from bookstore.demo.synthetic import generate_books

    base = postgres_base_url()
    schema = schema_name(books)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if fresh:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": base,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
            "SECRET_KEY": "bench",
            "SHOP_BASE_URL": "http://127.0.0.1",
            "PAGE_CACHE_SECONDS": 0,
        }
    )
    with app.app_context():
        upgrade()
        have = db.session.scalar(select(func.count(Book.id))) or 0
        if have < books:
            echo(f"  generating {books - have:,} books into schema {schema} (kept for next runs)")
            started = time.perf_counter()
            generate_books(books - have, seed=have + 1, echo=_progress(echo))
            echo(f"  generated in {time.perf_counter() - started:.0f} s")
        else:
            echo(f"  reusing the {have:,} books of schema {schema}")
        _settle(echo)
    return app


def _settle(echo) -> None:
    """VACUUM ANALYZE the search tables once after a bulk load, as autovacuum would in a shop.

    Without it (autovacuum may be off on a bench machine) every search's first read of a row
    sets its hint bits and dirties the page, and the timings measure those writes."""
    with db.engine.connect() as conn:
        fresh = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                "AND relname IN ('book_search', 'books', 'editions') "
                "AND last_vacuum IS NULL AND last_autovacuum IS NULL"
            )
        ).scalar_one()
    if not fresh:
        return
    echo("  vacuuming the search tables (once, after the bulk load)")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("book_search", "books", "editions", "book_contributors", "contributors"):
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))


def _progress(echo):
    def show(line: str) -> None:
        if "00,000 /" in line or "Done" in line:
            echo("    " + line.strip())

    return show


def queries(count: int, seed: int = 11) -> list[str]:
    """``count`` distinct queries of catalog words (in an app context)."""
    rng = random.Random(seed)  # noqa: S311  (load test)
    low, high = db.session.execute(select(func.min(Book.id), func.max(Book.id))).one()
    words = mixes.catalog_words(rng, low, high)
    sample = mixes.CatalogSample([], words["words"], words["cyrillic"], [], [], 1)
    found: list[str] = []
    while len(found) < count:
        query = mixes.search_text(sample, rng)
        if query not in found:
            found.append(query)
    return found


def run(books: int, count: int, *, fresh: bool = False, drop: bool = False, echo=print):
    """Time ``count`` distinct searches over ``books`` books; the figures."""
    app = open_catalog(books, fresh=fresh, echo=echo)
    try:
        with app.app_context():
            # The process's first queries (word lists, plans) on five more distinct queries:
            # a query that matches nothing no longer reaches the count at all.
            picked = queries(count + 5)
            asked, warm_up = picked[:count], picked[count:]
            for warm in warm_up:
                search_books(db.session(), warm)
                db.session.remove()
            timings = []
            for query in asked:
                started = time.perf_counter()
                search_books(db.session(), query)
                timings.append(((time.perf_counter() - started) * 1000, query))
                db.session.remove()
            db.engine.dispose()
    finally:
        if drop:
            admin = create_engine(postgres_base_url(), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema_name(books)}" CASCADE'))
            admin.dispose()
    ordered = sorted(ms for ms, _ in timings)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return SearchFigures(
        books=books,
        queries=len(timings),
        p50=pct(50),
        p95=pct(95),
        p99=pct(99),
        slowest=sorted(timings, reverse=True)[:5],
    )
