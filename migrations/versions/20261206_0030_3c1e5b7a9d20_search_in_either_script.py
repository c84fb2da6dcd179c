"""Search in either script: search_aliases (Latin spellings of Cyrillic words, е for ё) on books,
contributors and series, filled for existing rows, and part of every book's search document.

The view book_search_source and the triggers that read it are made again with the new
columns; the index is rebuilt from them. Hand-written (autogenerate cannot see views/triggers).

Revision ID: 3c1e5b7a9d20
Revises: 90892536634e
Create Date: 2026-12-06 00:30:00

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)
from bookstore.catalog.transliteration import search_aliases


# revision identifiers, used by Alembic.
revision = '3c1e5b7a9d20'
down_revision = '90892536634e'
branch_labels = None
depends_on = None

TABLES = ("books", "contributors", "series")
BATCH = 2000

# ---------------------------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------------------------

SQLITE_COLUMNS = "title, subtitle, people, series, description, isbns"

SQLITE_VIEW = {
    True: """
CREATE VIEW book_search_source AS
SELECT
  b.id AS book_id,
  b.title || ' ' || coalesce(b.original_title, '') || ' ' || b.search_aliases AS title,
  coalesce(b.subtitle, '') AS subtitle,
  coalesce((SELECT group_concat(c.name || ' ' || c.search_aliases, ' ')
            FROM book_contributors bc JOIN contributors c ON c.id = bc.contributor_id
            WHERE bc.book_id = b.id), '') AS people,
  coalesce((SELECT s.name || ' ' || s.search_aliases FROM series s WHERE s.id = b.series_id),
           '') AS series,
  coalesce(b.description, '') AS description,
  coalesce((SELECT group_concat(e.isbn13, ' ') FROM editions e WHERE e.book_id = b.id), '')
    AS isbns
FROM books b
""",
    False: """
CREATE VIEW book_search_source AS
SELECT
  b.id AS book_id,
  b.title || ' ' || coalesce(b.original_title, '') AS title,
  coalesce(b.subtitle, '') AS subtitle,
  coalesce((SELECT group_concat(c.name, ' ')
            FROM book_contributors bc JOIN contributors c ON c.id = bc.contributor_id
            WHERE bc.book_id = b.id), '') AS people,
  coalesce((SELECT s.name FROM series s WHERE s.id = b.series_id), '') AS series,
  coalesce(b.description, '') AS description,
  coalesce((SELECT group_concat(e.isbn13, ' ') FROM editions e WHERE e.book_id = b.id), '')
    AS isbns
FROM books b
""",
}


def _sqlite_refresh(ids):
    return (
        f"DELETE FROM book_search WHERE rowid IN ({ids}); "
        f"INSERT INTO book_search (rowid, {SQLITE_COLUMNS}) "
        f"SELECT book_id, {SQLITE_COLUMNS} FROM book_search_source WHERE book_id IN ({ids});"
    )


def _sqlite_triggers(aliases):
    extra = ", search_aliases" if aliases else ""
    return {
        "books_search_au": (
            f"AFTER UPDATE OF title, subtitle, original_title, description, series_id{extra}",
            "books",
            _sqlite_refresh("NEW.id"),
        ),
        "contributors_search_au": (
            f"AFTER UPDATE OF name{extra}",
            "contributors",
            _sqlite_refresh("SELECT book_id FROM book_contributors WHERE contributor_id = NEW.id"),
        ),
        "series_search_au": (
            f"AFTER UPDATE OF name{extra}",
            "series",
            _sqlite_refresh("SELECT id FROM books WHERE series_id = NEW.id"),
        ),
    }


def _sqlite_switch(aliases):
    op.execute("DROP VIEW IF EXISTS book_search_source")
    op.execute(SQLITE_VIEW[aliases])
    for name, (event, table, body) in _sqlite_triggers(aliases).items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} {event} ON {table} BEGIN {body} END")
    op.execute("DELETE FROM book_search")
    op.execute(
        f"INSERT INTO book_search (rowid, {SQLITE_COLUMNS}) "
        f"SELECT book_id, {SQLITE_COLUMNS} FROM book_search_source"
    )


# ---------------------------------------------------------------------------------------------
# PostgreSQL: the view keeps its columns (CREATE OR REPLACE), the aliases join the A and B parts.
# ---------------------------------------------------------------------------------------------


def _pg_view(aliases):
    book = " || ' ' || b.search_aliases" if aliases else ""
    person = " || ' ' || c.search_aliases" if aliases else ""
    series = " || ' ' || s.search_aliases" if aliases else ""
    return f"""
CREATE OR REPLACE VIEW book_search_source AS
SELECT
  b.id AS book_id,
  setweight(to_tsvector('bookstore_search',
              coalesce(b.title, '') || ' ' || coalesce(b.original_title, ''){book} || ' ' ||
              coalesce((SELECT string_agg(e.isbn13, ' ') FROM editions e
                        WHERE e.book_id = b.id), '')), 'A')
  || setweight(to_tsvector('bookstore_search',
              coalesce((SELECT string_agg(c.name{person}, ' ' ORDER BY bc.position)
                        FROM book_contributors bc JOIN contributors c
                          ON c.id = bc.contributor_id
                        WHERE bc.book_id = b.id), '') || ' ' ||
              coalesce((SELECT s.name{series} FROM series s WHERE s.id = b.series_id), '')), 'B')
  || setweight(to_tsvector('bookstore_search', coalesce(b.subtitle, '')), 'C')
  || setweight(to_tsvector('bookstore_search', coalesce(b.description, '')), 'D')
  AS document,
  to_tsvector('bookstore_search',
              coalesce(b.title, '') || ' ' || coalesce(b.original_title, ''){book})
  AS title_document
FROM books b
"""


def _pg_triggers(aliases):
    extra = ", search_aliases" if aliases else ""
    return {
        "books_search_aiu": (
            "AFTER INSERT OR UPDATE OF title, subtitle, original_title, description, series_id"
            + extra,
            "books",
        ),
        "contributors_search_au": (f"AFTER UPDATE OF name{extra}", "contributors"),
        "series_search_au": (f"AFTER UPDATE OF name{extra}", "series"),
    }


def _pg_switch(aliases):
    op.execute(_pg_view(aliases))
    for name, (event, table) in _pg_triggers(aliases).items():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(
            f"CREATE TRIGGER {name} {event} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION book_search_trigger()"
        )
    op.execute(
        "UPDATE book_search s SET document = src.document, title_document = src.title_document "
        "FROM book_search_source src WHERE src.book_id = s.book_id"
    )


# ---------------------------------------------------------------------------------------------


def _backfill(bind):
    """Fill search_aliases of existing rows (only rows with Cyrillic get any)."""
    sources = {
        "books": "SELECT id, title, original_title FROM books WHERE id > :after ORDER BY id",
        "contributors": "SELECT id, name FROM contributors WHERE id > :after ORDER BY id",
        "series": "SELECT id, name FROM series WHERE id > :after ORDER BY id",
    }
    for table, sql in sources.items():
        after = 0
        while True:
            rows = bind.execute(sa.text(sql + f" LIMIT {BATCH}"), {"after": after}).all()
            if not rows:
                break
            after = rows[-1][0]
            changes = [
                {"id": row[0], "aliases": aliases}
                for row in rows
                if (aliases := search_aliases(*row[1:]))
            ]
            if changes:
                bind.execute(
                    sa.text(f"UPDATE {table} SET search_aliases = :aliases WHERE id = :id"),
                    changes,
                )


def upgrade():
    bind = op.get_bind()
    for table in TABLES:
        op.add_column(
            table, sa.Column("search_aliases", sa.Text(), server_default="", nullable=False)
        )
    _backfill(bind)
    if bind.dialect.name == "sqlite":
        _sqlite_switch(aliases=True)
    elif bind.dialect.name == "postgresql":
        _pg_switch(aliases=True)


def downgrade():
    # The old view and triggers first: then nothing in the schema reads the columns.
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_switch(aliases=False)
    else:
        _pg_switch(aliases=False)
    for table in TABLES:
        # SQLite 3.35+ drops a column in place (a batch copy would lose the table's triggers).
        op.execute(f"ALTER TABLE {table} DROP COLUMN search_aliases")
