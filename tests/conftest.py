"""Fixtures shared by every test module.

Database tests run once on SQLite and once on PostgreSQL (when ``TEST_DATABASE_URL`` is set).
Each test session gets its own PostgreSQL schema, so parallel runs never see each other's rows.
The schema is built by the migrations, exactly as in production.
"""

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bookstore import create_app
from bookstore.extensions import db

# Shared fixtures that need more than a few lines live in their own plugin modules.
pytest_plugins = ["tests.fixtures.mail", "tests.fixtures.stripe", "tests.fixtures.browser"]

# .ci/run sets this: a missing service must fail the run, never skip silently.
REQUIRE_SERVICES = os.environ.get("BOOKSTORE_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip with a clear reason on a developer's machine; fail where services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (BOOKSTORE_REQUIRE_SERVICES=1 forbids skipping)", pytrace=False)
    pytest.skip(reason)


def _postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        skip_or_fail("PostgreSQL tests need TEST_DATABASE_URL")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@contextmanager
def private_schema(prefix: str) -> Iterator[tuple[str, dict]]:
    """(url, engine options) of a new, empty PostgreSQL schema; dropped afterwards."""
    url = _postgres_url()
    schema = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        skip_or_fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc.__class__.__name__}")
    try:
        yield url, {"connect_args": {"options": f"-csearch_path={schema}"}}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_database(tmp_path_factory):
    """A fresh schema in the test database, migrated to head; dropped at the end."""
    with private_schema("test") as (url, options):
        _migrate(url, options, tmp_path_factory.mktemp("pg-instance"))
        yield url, options


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory):
    """A SQLite file migrated to head, shared by the session's SQLite tests."""
    path = tmp_path_factory.mktemp("sqlite") / "test.db"
    url = f"sqlite:///{path}"
    _migrate(url, {}, tmp_path_factory.mktemp("sqlite-instance"))
    return url, {}


def _migrate(url: str, engine_options: dict, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(_test_config(url, engine_options, instance))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _test_config(url: str, engine_options: dict, instance: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **engine_options},
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Each test app its own page cache (tests/test_page_cache.py covers Redis).
        "CACHE_TYPE": "SimpleCache",
        "MAIL_SERVER": None,
        # Jobs (email among them) run right after the commit, so a test reads the outbox as
        # soon as the request returns (tests/jobs/ cover the queue and the worker).
        "JOBS_RUN_INLINE": True,
        # Where jobs go when a test turns that off: a queue file of the test's own.
        "JOBS_URL": f"sqlite:///{instance / 'jobs-queue.db'}",
        "STRIPE_SECRET_KEY": None,
        "SERVER_NAME": None,
    }


@pytest.fixture(params=["sqlite", "postgres"])
def database(request):
    """(url, engine options) of a migrated database: SQLite, then PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_database")


@pytest.fixture
def make_app(database, tmp_path):
    """Build an app on the test database with extra settings; every table is emptied after."""
    apps = []

    def _make_app(**overrides):
        url, options = database
        config = _test_config(url, options, tmp_path / "instance")
        config.update(overrides)
        app = create_app(config)
        apps.append(app)
        return app

    yield _make_app
    for app in apps:
        with app.app_context():
            empty_all_tables()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The app with the test settings (CSRF off; see tests/test_csrf.py for CSRF on)."""
    return make_app()


@contextmanager
def app_on(database: tuple[str, dict], instance: Path) -> Iterator:
    """An app with the test settings on ``database``; every table is emptied after."""
    url, options = database
    app = create_app(_test_config(url, options, instance))
    yield app
    with app.app_context():
        empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def pg_app(postgres_database, tmp_path):
    """An app on PostgreSQL only: for tests that race concurrent transactions."""
    with app_on(postgres_database, tmp_path / "instance") as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app):
    """Run the test inside an application context (for services and models)."""
    with app.app_context():
        yield app


def empty_all_tables() -> None:
    """Delete every row, keeping the schema (and the Alembic version).

    On PostgreSQL a late background writer (a webhook delivery finishing as the test ends) can
    deadlock with TRUNCATE's table locks; the loser is rolled back, so try again.
    """
    db.session.rollback()
    # The page-cache generation row is part of the schema, like the Alembic version.
    tables = [t.name for t in db.metadata.sorted_tables if t.name != "page_cache_generation"]
    for attempt in range(5):
        try:
            with db.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SET LOCAL lock_timeout = '10s'"))
                    names = ", ".join(f'"{name}"' for name in tables)
                    conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                else:
                    for name in reversed(tables):
                        conn.execute(text(f'DELETE FROM "{name}"'))
            return
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
