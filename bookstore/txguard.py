"""The rule "no network call inside an open write transaction", checked rather than hoped for.

A write transaction holds row locks (on SQLite, the whole database) until it ends. A call to
Stripe or to a mail server inside one makes every other writer wait for the network: a slow
Stripe then slows or breaks other shoppers. So the Stripe gateway and the mailer call
``check_no_write_transaction`` before they reach the network; with ``NETWORK_GUARD=raise``
(the tests) a call made while the request's session has written and not yet committed fails
loudly, with ``log`` it is logged, with ``off`` (the default) nothing is checked.

Writes are noticed per connection: any INSERT, UPDATE, DELETE or ``SELECT ... FOR UPDATE``
marks the connection until its transaction commits or rolls back.
"""

from __future__ import annotations

import functools
import logging
import re

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import InvalidRequestError

log = logging.getLogger(__name__)

MODES = ("off", "log", "raise")
_WROTE = "bookstore.wrote"
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT|MERGE)\b|\bFOR\s+UPDATE\b", re.I)


@functools.lru_cache(maxsize=1024)
def _writes(statement: str) -> bool:
    """Whether the statement writes. Pages run the same few statements again and again, and
    searching a long one (the book page's UNION) cost a tenth of a millisecond each time."""
    return _WRITE.search(statement) is not None


class NetworkInTransaction(RuntimeError):
    """A network call was about to run while a write transaction was open."""


def watch_engine(engine: Engine) -> None:
    """Mark a connection that writes, and clear the mark when its transaction ends."""
    if getattr(engine, "_bookstore_txguard", False):
        return
    engine._bookstore_txguard = True  # type: ignore[attr-defined]

    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(
        conn: Connection,
        _cursor: object,
        statement: str,
        _parameters: object,
        _context: object,
        _executemany: bool,
    ) -> None:
        if _writes(statement):
            conn.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _clear(conn: Connection) -> None:
        conn.info.pop(_WROTE, None)


def open_write_transaction() -> bool:
    """True when the current ``db.session`` has written in a transaction not yet ended."""
    from bookstore.extensions import db

    session = db.session()
    if not session.in_transaction():
        return False
    try:
        connection = session.connection()
    except InvalidRequestError:
        return False  # committing or rolled back (e.g. in an after_commit hook): nothing open
    return bool(connection.info.get(_WROTE))


def check_no_write_transaction(what: str) -> None:
    """Refuse (or log) a network call about to run inside an open write transaction."""
    if not has_app_context():
        return
    mode = current_app.config.get("NETWORK_GUARD") or "off"
    if mode == "off" or not open_write_transaction():
        return
    message = f"{what} called inside an open database write transaction: commit first"
    if mode == "raise":
        raise NetworkInTransaction(message)
    log.warning(message)


def init_app(app: Flask) -> None:
    """Check the setting and watch the app's engine."""
    from bookstore.extensions import db

    mode = app.config.get("NETWORK_GUARD") or "off"
    if mode not in MODES:
        raise RuntimeError(f"NETWORK_GUARD must be one of {', '.join(MODES)}, not {mode!r}")
    with app.app_context():
        watch_engine(db.engine)
