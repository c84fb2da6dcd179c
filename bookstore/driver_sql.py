"""Read-only statements run on the driver's connection, compiled once per database.

A few short statements run on nearly every request: the book page's (a book, what is around
it), the signed-in visitor's user with their membership and cart count. SQLAlchemy's execution
of a compiled statement (cache key, compiled-cache lookup, execution context, events, result
and row objects) cost the worker more than the database spends running it (SQLite, a member's
page-cache hit: 85 us of 0.7 ms against 13). So such a statement is compiled once per database,
as SQLAlchemy would send it, and run on the session's connection through its driver, in the
session's transaction (it sees what the session has flushed), as search's statements are
(``bookstore.catalog.search_statements``).

- ``driver_rows``: all rows as the driver reads them (SQLite's booleans as 0 and 1, an enum as
  its stored string); the caller converts what it needs (the book page).
- ``DriverSelect``: one row, with the columns' own bind and result conversions (the user).

Only statements that read may run here: a write would pass unseen by the page cache's
generation, the transaction guard and ``end_read_only_transactions``. SQLAlchemy's statement
events do not see them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positions: tuple[str, ...] | None  # the parameters' order (SQLite's ``?``), or None
    defaults: dict[str, Any]  # values the statement holds itself (LIMITs)


_compiled: dict[tuple[Dialect, Any], _Compiled] = {}


def driver_rows(
    connection: Connection, statement: ClauseElement, values: dict[str, Any]
) -> list[tuple]:
    """All rows of ``statement`` (built once: it is the key of its compiled text) for the
    ``bindparam`` ``values``, read on ``connection``'s driver."""
    found = _compiled.get((connection.dialect, statement))
    if found is None:
        found = _compile(connection.dialect, statement)
    params = {**found.defaults, **values} if found.defaults else values
    args = params if found.positions is None else tuple(params[n] for n in found.positions)
    cursor = connection.connection.driver_connection.execute(found.sql, args)  # type: ignore[union-attr]
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _compile(dialect: Dialect, statement: ClauseElement) -> _Compiled:
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    assert isinstance(compiled, SQLCompiler)  # noqa: S101  (a statement's compiler)
    positions = tuple(compiled.positiontup or ()) if compiled.positional else None
    defaults = {name: value for name, value in compiled.params.items() if value is not None}
    found = _compiled[(dialect, statement)] = _Compiled(compiled.string, positions, defaults)
    return found


Convert = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class DriverSelect:
    """``select`` compiled for one database: its text in the driver's parameter style, its
    constants already converted, and the conversions of the caller's values and of each
    column of its row."""

    sql: str
    positions: tuple[str, ...] | None  # the parameters' order (qmark), None: by name
    constants: Mapping[str, Any]
    converts: Mapping[str, Convert]  # the caller's parameters
    columns: tuple[Convert, ...]

    @classmethod
    def compile(cls, select: Select[Any], dialect: Dialect) -> DriverSelect:
        """Compile ``select``, whose caller-given values are ``bindparam``s without a value."""
        compiled = select.compile(dialect=dialect)
        if compiled.escaped_bind_names:
            raise ValueError("parameter names the driver cannot take as they are")
        converts = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for bind, name in compiled.bind_names.items()
        }
        given = {name for bind, name in compiled.bind_names.items() if bind.required}
        constants = {}
        for name, value in compiled.params.items():
            if name not in given:
                convert = converts[name]
                constants[name] = value if convert is None or value is None else convert(value)
        columns = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in select.selected_columns
        )
        positions = compiled.positiontup
        return cls(
            compiled.string,
            tuple(positions) if positions is not None else None,
            constants,
            {name: converts[name] for name in given},
            columns,
        )

    def first(self, connection: Connection, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row for ``values`` (one per parameter without a constant), its columns
        converted as SQLAlchemy would; None without one. In ``connection``'s transaction."""
        params = dict(self.constants)
        for name, convert in self.converts.items():
            value = values[name]
            params[name] = value if convert is None or value is None else convert(value)
        driver: Any = connection.connection.driver_connection
        cursor = driver.execute(
            self.sql, params if self.positions is None else [params[n] for n in self.positions]
        )
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return tuple(
            value if convert is None or value is None else convert(value)
            for convert, value in zip(self.columns, row, strict=True)
        )
