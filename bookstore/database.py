"""Engine set-up shared by every database the shop runs on."""

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, Result

T = TypeVar("T")


def configure_engine_events(engine: Engine) -> None:
    """SQLite: enforce foreign keys, use WAL and wait on locks instead of failing.
    PostgreSQL: no parallel workers and no JIT for the shop's short queries."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgres_settings)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


def _postgres_settings(dbapi_connection, _record) -> None:
    # A page's queries read a few hundred rows while other requests wait for the same cores:
    # workers started for a parallel plan (the planner picks them for walks of a sort's index)
    # and JIT compilation cost more CPU than they save. Committed, so a rollback keeps them.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET max_parallel_workers_per_gather = 0")
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.commit()


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE (``Session.execute`` types its result loosely)."""
    return cast(CursorResult[Any], result).rowcount or 0


def built_once(build: Callable[[], T]) -> Callable[[], T]:
    """Decorate a function that builds a statement whose values are ``bindparam``s: it builds
    the statement on first use and hands out the same one after.

    Building a SQLAlchemy statement and computing its cache key costs more than running a
    small query: the user-and-membership query of every signed-in request took 250 us built
    per request and 100 us reused (SQLite; 460 and 210 us on PostgreSQL). So the queries that
    every request or every page makes are built once.
    """
    return functools.cache(build)
