"""Search's own statements, run on the driver's connection rather than through SQLAlchemy.

A search runs two to four short statements of fixed text whose only inputs are parameters.
SQLAlchemy's execution of a ``text()`` statement (events, compiled-cache lookup, result
objects) cost the worker more than SQLite spends running one (100 us a statement against 20;
on PostgreSQL 380 against 80). No search statement writes, so the app's write watchers
(page cache generations, the transaction guard, ending read-only transactions with COMMIT)
have nothing to see in them. They run on the session's connection, in its transaction, so
they see what it has flushed.

PostgreSQL: a statement whose plan depends on its words can be sent unprepared
(``prepared=False``): psycopg prepares a statement it has run a few times, and PostgreSQL
would then soon settle on one generic plan for every query's words.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

_compiled: dict[tuple[str, str], str] = {}


class Statements:
    """One search's way to its database: ``rows`` and ``ids`` of its statements."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect
        self.postgres = self.dialect.name == "postgresql"
        self._connection: Connection | None = None

    def rows(
        self, sql: str, params: dict[str, Any], *, prepared: bool = True
    ) -> list[tuple[Any, ...]]:
        """All rows of ``sql`` (written with ``:name`` parameters) for ``params``.

        ``prepared=False`` (PostgreSQL): never prepared, so planned for these parameters."""
        driver: Any = self.connection().connection.driver_connection
        if self.postgres:
            # None: psycopg's own choice, which prepares a statement after a few runs.
            prepare = None if prepared else False
            cursor = driver.execute(self._in_driver_style(sql), params, prepare=prepare)
        else:  # sqlite3 takes ``:name`` parameters as they are
            cursor = driver.execute(sql, params)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def ids(self, sql: str, params: dict[str, Any], *, prepared: bool = True) -> list[int]:
        """The first column of every row."""
        return [row[0] for row in self.rows(sql, params, prepared=prepared)]

    def connection(self) -> Connection:
        """The session's connection, which begins its transaction if none is open; asked
        again once that transaction has ended (a commit releases the connection)."""
        connection = self._connection
        if connection is None or connection.closed or not connection.in_transaction():
            connection = self._connection = self.session.connection()
        return connection

    def _in_driver_style(self, sql: str) -> str:
        # SQLAlchemy's compiler turns ``:name`` into the driver's style (``%(name)s``) and
        # escapes what the driver would read as its own syntax; once per statement text.
        key = (self.dialect.name, sql)
        found = _compiled.get(key)
        if found is None:
            found = _compiled[key] = str(text(sql).compile(dialect=self.dialect))
        return found
