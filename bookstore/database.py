"""Engine set-up shared by every database the shop runs on."""

import functools
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.engine import cursor as _cursor
from sqlalchemy.exc import DBAPIError, DisconnectionError, InvalidRequestError

T = TypeVar("T")


# A pooled connection unused for this long is checked before a request gets it.
IDLE_BEFORE_PING_SECONDS = 5.0
_CHECKED_IN = "bookstore.checked_in"


def ping_idle_connections(engine: Engine) -> None:
    """Check a pooled connection before use only when it sat unused for a while.

    A connection the database closed (a restart, an idle timeout) is replaced before a
    request sees it, as ``pool_pre_ping`` does; but that pinged on every checkout, a round
    trip to the database on every request, while a connection handed from one request to
    the next under load was checked milliseconds before.
    """
    if getattr(engine, "_bookstore_idle_ping", False):
        return
    engine._bookstore_idle_ping = True  # type: ignore[attr-defined]
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _note_checkin(_dbapi_connection, record) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        checked_in = record.info.get(_CHECKED_IN)
        if checked_in is None or time.monotonic() - checked_in < IDLE_BEFORE_PING_SECONDS:
            return  # a new connection, or one in use moments ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and hands out a fresh one (PoolEvents.checkout).
            raise DisconnectionError(f"an idle connection was closed: {error}") from error


class _ColumnsKnown(_cursor.CursorFetchStrategy):
    """Fetch from the driver's cursor, as SQLAlchemy does, for a statement whose result
    columns SQLAlchemy already knows: it then reads the cursor's description only to see that
    rows came back, and psycopg builds that description afresh on each read (52 us for a
    statement of 31 columns, a sixth of a book page's database time in the worker)."""

    __slots__ = ()

    # Not None: the statement returns rows. Its columns come from the compiled statement.
    alternate_cursor_description = (("?", None, None, None, None, None, None),)


_COLUMNS_KNOWN = _ColumnsKnown()


def skip_known_descriptions(engine: Engine) -> None:
    """PostgreSQL: a SELECT whose compiled form was run before (its result columns cached by
    SQLAlchemy) does not read the driver's cursor description."""
    base = engine.dialect.execution_ctx_cls
    if getattr(base, "_bookstore_columns_known", False):
        return
    # SQLAlchemy's own parts this leans on (tests/test_database.py checks them): a release
    # without them keeps its usual fetch rather than failing to start.
    if getattr(_cursor, "_DEFAULT_FETCH", None) is None:
        return

    class ExecutionContext(base):  # type: ignore[valid-type, misc]
        _bookstore_columns_known = True

        def post_exec(self) -> None:
            super().post_exec()
            compiled = self.compiled
            if (
                getattr(compiled, "_cached_metadata", None) is not None
                and not (self.is_crud or self.is_text or self.isddl or self._is_server_side)
                and self.cursor_fetch_strategy is _cursor._DEFAULT_FETCH  # type: ignore[has-type]
                and not self.root_connection._echo
                and not self.execution_options.get("stream_results", False)
                and not self.execution_options.get("driver_column_names", False)
            ):
                self.cursor_fetch_strategy = _COLUMNS_KNOWN

    engine.dialect.execution_ctx_cls = ExecutionContext


# A statement that may run outside a transaction: it reads, takes no lock and sets nothing that
# should last beyond it (``set_config(..., true)`` holds for the transaction).
_OUTSIDE = re.compile(r"\s*(SELECT|SHOW|WITH|VALUES)\b", re.I)
_NEEDS_TRANSACTION = re.compile(
    r"\b(INSERT|UPDATE|DELETE|MERGE|INTO|SHARE|set_config|nextval|setval|\w*advisory\w*"
    r"|txid_current\w*|pg_current_xact_id\w*|lo_\w+)\b",
    re.I,
)


@functools.lru_cache(maxsize=256)  # the same few statement texts over and over
def _runs_outside_transaction(statement: str) -> bool:
    """A read that needs no transaction around it: no write, lock or transaction setting."""
    return _OUTSIDE.match(statement) is not None and _NEEDS_TRANSACTION.search(statement) is None


@functools.cache
def _deferring_cursors() -> tuple[type, type]:
    """psycopg's cursors (plain and server-side), beginning the connection's transaction
    before a statement that needs one (``defer_transactions``); built here so that SQLite
    alone needs no psycopg."""
    import psycopg

    def begin(connection: Any) -> None:
        if connection.cursor_factory is Deferring:  # not when the app asked for autocommit
            connection.cursor_factory = psycopg.Cursor
            connection.server_cursor_factory = psycopg.ServerCursor
            connection.autocommit = False  # psycopg sends BEGIN before the next statement

    class Deferring(psycopg.Cursor):
        __slots__ = ()

        def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
            if query.__class__ is not str or not _runs_outside_transaction(query):
                begin(self.connection)
            return super().execute(query, params, **options)

        def executemany(self, query: Any, params_seq: Any, **options: Any) -> None:
            begin(self.connection)
            return super().executemany(query, params_seq, **options)

        def stream(self, query: Any, params: Any = None, **options: Any) -> Any:
            if query.__class__ is not str or not _runs_outside_transaction(query):
                begin(self.connection)
            return super().stream(query, params, **options)

        def copy(self, statement: Any, params: Any = None, **options: Any) -> Any:
            begin(self.connection)
            return super().copy(statement, params, **options)

    class DeferringServer(psycopg.ServerCursor):
        """A server-side cursor lives in a transaction (DECLARE without HOLD)."""

        __slots__ = ()

        def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
            begin(self.connection)
            return super().execute(query, params, **options)

    return Deferring, DeferringServer


def defer_transactions(engine: Engine) -> None:
    """PostgreSQL: a checked-out connection reads in autocommit, and begins its transaction
    only before the first statement that needs one (a write, ``SELECT ... FOR UPDATE``, a
    savepoint, COPY, ``set_config(..., true)``).

    Every request used to send BEGIN and COMMIT around its few reads: two round trips, and
    the server's work of starting and ending a transaction. At the default READ COMMITTED each
    statement reads its own snapshot inside a transaction too, so reads see what they saw
    before; a write and everything after it run in one transaction as before.
    A connection given an ``isolation_level`` (``execution_options``) keeps it: no deferring.
    """
    if getattr(engine, "_bookstore_deferred", False):
        return
    engine._bookstore_deferred = True  # type: ignore[attr-defined]
    deferring, deferring_server = _deferring_cursors()
    from psycopg import Cursor, ServerCursor
    from psycopg.pq import TransactionStatus

    idle = TransactionStatus.IDLE

    @event.listens_for(engine, "checkout")
    def _autocommit_until_needed(dbapi_connection, _record, _proxy) -> None:
        if dbapi_connection.pgconn.transaction_status == idle:
            if not dbapi_connection.autocommit:
                dbapi_connection.autocommit = True
            dbapi_connection.cursor_factory = deferring
            dbapi_connection.server_cursor_factory = deferring_server

    @event.listens_for(engine, "set_connection_execution_options")
    def _isolation_asked(conn: Connection, options: dict[str, Any]) -> None:
        if "isolation_level" in options:  # the app's own choice: no deferring
            driver = conn.connection.driver_connection
            if driver is not None:
                driver.cursor_factory = Cursor  # SQLAlchemy sets its autocommit
                driver.server_cursor_factory = ServerCursor


def configure_engine_events(engine: Engine) -> None:
    """SQLite: enforce foreign keys, use WAL and wait on locks instead of failing.
    PostgreSQL: no parallel workers and no JIT for the shop's short queries, and no cursor
    description read for a statement whose columns are known (``skip_known_descriptions``).
    Both: pooled connections checked before use after they sat idle
    (``ping_idle_connections``)."""
    ping_idle_connections(engine)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgres_settings)
        skip_known_descriptions(engine)
        # After the idle ping, which sets autocommit for itself and puts back what it found.
        defer_transactions(engine)
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


_READ = re.compile(r"\s*(SELECT|SHOW|WITH)\b", re.I)
_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.I)
_WROTE = "bookstore.transaction_wrote"


@functools.lru_cache(maxsize=256)  # the same few statement texts over and over
def _reads_only(statement: str) -> bool:
    """A SELECT, or a WITH query none of whose parts writes."""
    found = _READ.match(statement)
    if found is None:
        return False
    return found[1].upper() != "WITH" or _WRITE.search(statement) is None


def note_write(connection: Connection) -> None:
    """Say that this connection's transaction wrote through the driver (COPY), unseen by the
    engine: it must not be ended with COMMIT for having only read."""
    connection.info[_WROTE] = True


def end_read_only_transactions(app: Flask, engine: Engine) -> None:
    """PostgreSQL: a request's transaction that only read ends with COMMIT instead of ROLLBACK
    (the same for a transaction that wrote nothing).

    psycopg forgets the statements it has prepared on every ROLLBACK, and every request ended
    with one: so no statement was ever prepared, and PostgreSQL parsed and planned each query
    of each page afresh. A transaction that wrote still ends with ROLLBACK unless committed.
    A request that read only outside a transaction (``defer_transactions``) ends none on the
    server: the COMMIT is SQLAlchemy's alone.
    """
    if engine.dialect.name != "postgresql":
        return
    from bookstore.extensions import db

    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(conn: Connection, _cursor, statement: str, *_args) -> None:
        if not _reads_only(statement):
            note_write(conn)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _clear(conn: Connection) -> None:
        conn.info.pop(_WROTE, None)

    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it (Flask runs them
    # in reverse): the session is still open here.
    @app.teardown_appcontext
    def _commit_reads(error: BaseException | None) -> None:
        session = db.session()
        if error is not None or not session.in_transaction():
            return
        try:
            connection = session.connection()
            if not connection.info.get(_WROTE) and connection.in_transaction():
                connection.commit()
        except (InvalidRequestError, DBAPIError):
            pass  # a transaction that failed, or a lost connection: the session rolls back


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
