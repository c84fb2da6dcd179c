"""A page's read-only Core statements, run on the driver's connection.

The book page reads its book with two short statements on nearly every view (most views are
first visits). SQLAlchemy's execution of a compiled Core statement (cache key, compiled-cache
lookup, execution context, events, result objects) cost the worker more than the database
spent running it; so the statement is compiled once per dialect, as SQLAlchemy would send it,
and run on the session's connection through its driver, in the session's transaction (so it
sees what the session has flushed). Its rows are the driver's own: a column comes as the
driver reads it (SQLite's booleans as 0 and 1, an enum as its stored string), and the caller
converts what it needs.

Only statements that read may run here: a write would pass unseen by the page cache's
generation, the transaction guard and ``end_read_only_transactions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
