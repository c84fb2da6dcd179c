"""A scratch database for the benchmark: created, migrated and filled, then dropped."""

import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from bookstore import create_app
from bookstore.extensions import db

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def scratch_database(backend: str, workdir: Path) -> Iterator[str]:
    """Yield the URL of an empty database: a temp SQLite file or a new PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    base = postgres_base_url()
    schema = f"bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def postgres_base_url() -> str:
    """The PostgreSQL database the benchmark makes its schemas in (TEST_DATABASE_URL's)."""
    base = os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base.removeprefix("postgresql://")
    return base


def server_env(url: str, workdir: Path) -> dict[str, str]:
    """Environment for ``gunicorn wsgi:app`` (and for the in-process app) on this database."""
    return {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(workdir / "instance"),
        "SECRET_KEY": "bench-" + secrets.token_hex(16),
        "MAIL_SERVER": "",
        "SHOP_BASE_URL": "http://127.0.0.1",
    }


def make_app(env: dict[str, str]):
    """The shop app on the scratch database, configured as gunicorn's workers will be."""
    os.environ.update(env)
    return create_app({"RATELIMIT_ENABLED": False})


def prepare(app, books: int, echo=print) -> dict[str, float]:
    """Migrate to head, load the demo catalog, add ``books`` synthetic books. Seconds taken."""
    from flask_migrate import upgrade

    from bookstore.demo.synthetic import generate_books

    timings = {}
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        timings["migrate"] = time.perf_counter() - started
        started = time.perf_counter()
        try:
            from bookstore.demo.catalog import load_demo

            load_demo(if_empty=False, echo=lambda _line: None)
        except Exception as exc:  # noqa: BLE001  (the bench still runs on synthetic books)
            db.session.rollback()
            echo(f"  (demo catalog not loaded: {exc.__class__.__name__}: {exc})")
        timings["demo"] = time.perf_counter() - started
        started = time.perf_counter()
        generate_books(books, seed=1, echo=echo)
        timings["generate"] = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            settle(echo)
    return timings


def settle(echo=print) -> None:
    """VACUUM ANALYZE after the bulk load, as autovacuum would in a shop (it is off here).

    The load updates every book once more (the trigger keeping ``books.min_price_cents``), so
    half the table's rows are dead and no page is marked all-visible: every index-only scan
    (browse pages walk 24,000 index entries to reach page 1,000) then reads the table too,
    30-90 ms a page instead of 1-3 ms.
    """
    echo("  vacuuming after the bulk load")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # This schema's tables only: the database holds other benches' and tests' schemas.
        tables = conn.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).all()
        conn.execute(text("VACUUM (ANALYZE) " + ", ".join(f'"{name}"' for name in tables)))


def workdir() -> tempfile.TemporaryDirectory:
    """A temporary folder for the SQLite file, the instance folder and server logs."""
    return tempfile.TemporaryDirectory(prefix="bookstore-bench-")
