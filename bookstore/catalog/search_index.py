"""Upkeep of the full-text search index (``book_search``), built by the search migration.

The index is kept up to date by database triggers on books, editions (ISBN), credits,
contributors and series, not by a service that every writer must remember to call. Triggers
catch every writer -- the ORM, staff imports, Core bulk inserts, a ``psql`` session, a future
feature that forgets about search -- in the same transaction as the change, so the index can
never drift from the catalog. The document of a book is defined once, in the view
``book_search_source``, which both the triggers and the bulk rebuild below read.

SQLite: an FTS5 table ``book_search`` (rowid = book id, tokenizer ``unicode61 remove_diacritics
2``, bm25 column weights as its rank). PostgreSQL: ``book_search(book_id, document,
title_document)``, tsvectors with GIN indexes: the document weighted title A, contributors and
series B, subtitle C, description D; the title alone for "title matches first". Both in the text
search configuration ``bookstore_search`` (``simple`` plus ``unaccent`` when installed).

Bulk writers (the synthetic catalog) pause the triggers for their own transaction only, then
rebuild the index of their books in one statement: see ``paused_search_index``.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bookstore import page_cache

_SQLITE_COLUMNS = "title, subtitle, people, series, description, isbns"


@contextmanager
def paused_search_index(connection: Connection) -> Iterator[None]:
    """Within the current transaction, keep the search triggers from doing their work.

    For bulk writers only: call ``reindex_books`` for the rows you wrote before the transaction
    commits. Other connections never see the pause. PostgreSQL: a transaction-local setting
    that the trigger function checks. SQLite: the triggers are dropped and created again inside
    the transaction (SQLite's DDL is transactional and it has one writer at a time), which
    also spares every bulk row the cost of running a trigger at all.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT set_config('bookstore.search_index_paused', 'on', true)"))
        try:
            yield
        finally:
            connection.execute(
                text("SELECT set_config('bookstore.search_index_paused', 'off', true)")
            )
        return
    triggers = [
        (name, sql)
        for name, sql in connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        )
        if "_search_" in name
    ]
    # Python's sqlite3 opens its transaction before DML but not before DDL: a DML first makes
    # the DROPs part of the transaction, so a crash or rollback brings the triggers back.
    connection.exec_driver_sql("DELETE FROM book_search WHERE 0")
    driver = connection.connection.driver_connection
    if driver is None or not driver.in_transaction:
        raise RuntimeError("paused_search_index needs an open transaction")
    for name, _sql in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        for _name, sql in triggers:
            connection.exec_driver_sql(sql)


def reindex_books(connection: Connection, first_id: int, last_id: int) -> None:
    """(Re)build the index entries of books whose id lies in ``first_id..last_id``, in bulk."""
    bounds = {"lo": first_id, "hi": last_id}
    page_cache.note_change(connection)  # search result pages change with the index
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                "INSERT INTO book_search (book_id, document, title_document) "
                "SELECT book_id, document, title_document FROM book_search_source "
                "WHERE book_id BETWEEN :lo AND :hi "
                "ON CONFLICT (book_id) DO UPDATE "
                "SET document = EXCLUDED.document, title_document = EXCLUDED.title_document"
            ),
            bounds,
        )
    else:
        connection.execute(text("DELETE FROM book_search WHERE rowid BETWEEN :lo AND :hi"), bounds)
        connection.execute(
            text(
                f"INSERT INTO book_search (rowid, {_SQLITE_COLUMNS}) "  # noqa: S608 (constants)
                f"SELECT book_id, {_SQLITE_COLUMNS} FROM book_search_source "
                "WHERE book_id BETWEEN :lo AND :hi"
            ),
            bounds,
        )


def merge_search_index(connection: Connection) -> None:
    """After a bulk load, SQLite: merge the FTS5 index's segments into one.

    Each bulk batch leaves a segment of its own (the synthetic 100,000-book catalog: nine), and
    every search reads all of them: merged, a search's statements took 18% fewer instructions
    (7.65M -> 6.29M). About 1.6 s for 100,000 books. PostgreSQL's GIN indexes need no such
    step (VACUUM merges their pending entries).
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("INSERT INTO book_search (book_search) VALUES ('optimize')")


def rebuild_search_index(connection: Connection) -> None:
    """Rebuild the whole index from the catalog (a repair tool; triggers keep it current)."""
    connection.execute(text("DELETE FROM book_search"))
    last = connection.execute(text("SELECT coalesce(max(id), 0) FROM books")).scalar_one()
    reindex_books(connection, 0, last)
