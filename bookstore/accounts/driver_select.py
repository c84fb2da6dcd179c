"""A fixed SELECT of one row run on the driver's connection, for the signed-in visitor's query.

Every signed-in request reads its user (with their membership and cart count) first. Through
SQLAlchemy's execution (events, compiled-cache lookup, execution context, result and row
objects) that one short statement cost the worker four times what the database spends on it
(SQLite, a member's page-cache hit: 85 us of 0.7 ms against 13). So it is compiled once per
database and run on the session's connection, in its transaction, as search's statements are
(``bookstore.catalog.search_statements``), with the columns' own bind and result conversions.
Only read-only statements may go this way: a write would pass unseen by the page cache's
generation and by ``database.end_read_only_transactions``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Connection, Dialect

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
