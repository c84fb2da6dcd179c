"""Fixtures of the journal tests."""

import pytest
from sqlalchemy import event

from bookstore.extensions import db


@pytest.fixture
def count_queries(app_ctx):
    """A callable that runs ``fn`` and returns how many SQL statements it sent."""

    def _count(fn) -> int:
        statements = []

        def _record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", _record)
        try:
            fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", _record)
        return len(statements)

    return _count
