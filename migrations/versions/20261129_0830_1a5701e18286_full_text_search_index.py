"""Full-text search index of books: SQLite FTS5 / PostgreSQL weighted tsvector, kept by triggers.

Hand-written: autogenerate cannot see virtual tables, views, functions or triggers (and
migrations/env.py keeps the index tables out of autogenerate's comparison).

Revision ID: 1a5701e18286
Revises: c3f8dd13f603
Create Date: 2026-11-29 08:30:00

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '1a5701e18286'
down_revision = 'c3f8dd13f603'
branch_labels = None
depends_on = None


# ---------------------------------------------------------------------------------------------
# SQLite: an FTS5 table whose rowid is the book id, filled from one view by triggers.
# ---------------------------------------------------------------------------------------------

SQLITE_COLUMNS = "title, subtitle, people, series, description, isbns"

SQLITE_SOURCE_VIEW = """
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
"""

def _sqlite_refresh(ids: str) -> str:
    return (
        f"DELETE FROM book_search WHERE rowid IN ({ids}); "
        f"INSERT INTO book_search (rowid, {SQLITE_COLUMNS}) "
        f"SELECT book_id, {SQLITE_COLUMNS} FROM book_search_source WHERE book_id IN ({ids});"
    )


SQLITE_TRIGGERS = {
    # name: (event, table, body)
    "books_search_ai": ("AFTER INSERT", "books", _sqlite_refresh("NEW.id")),
    "books_search_au": (
        "AFTER UPDATE OF title, subtitle, original_title, description, series_id",
        "books",
        _sqlite_refresh("NEW.id"),
    ),
    "editions_search_ai": ("AFTER INSERT", "editions", _sqlite_refresh("NEW.book_id")),
    "editions_search_au": (
        "AFTER UPDATE OF isbn13, book_id",
        "editions",
        _sqlite_refresh("OLD.book_id, NEW.book_id"),
    ),
    "editions_search_ad": ("AFTER DELETE", "editions", _sqlite_refresh("OLD.book_id")),
    "credits_search_ai": ("AFTER INSERT", "book_contributors", _sqlite_refresh("NEW.book_id")),
    "credits_search_au": (
        "AFTER UPDATE",
        "book_contributors",
        _sqlite_refresh("OLD.book_id, NEW.book_id"),
    ),
    "credits_search_ad": ("AFTER DELETE", "book_contributors", _sqlite_refresh("OLD.book_id")),
    "contributors_search_au": (
        "AFTER UPDATE OF name",
        "contributors",
        _sqlite_refresh("SELECT book_id FROM book_contributors WHERE contributor_id = NEW.id"),
    ),
    "series_search_au": (
        "AFTER UPDATE OF name",
        "series",
        _sqlite_refresh("SELECT id FROM books WHERE series_id = NEW.id"),
    ),
}


def _upgrade_sqlite():
    op.execute(
        f"CREATE VIRTUAL TABLE book_search USING fts5({SQLITE_COLUMNS}, "
        "tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
    )
    # Column weights for ORDER BY rank: title (and ISBN) first, then people and series.
    op.execute(
        "INSERT INTO book_search (book_search, rank) "
        "VALUES ('rank', 'bm25(10.0, 3.0, 5.0, 5.0, 1.0, 10.0)')"
    )
    op.execute(SQLITE_SOURCE_VIEW)
    for name, (event, table, body) in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {event} ON {table} BEGIN {body} END")
    op.execute(
        "CREATE TRIGGER books_search_ad AFTER DELETE ON books BEGIN "
        "DELETE FROM book_search WHERE rowid = OLD.id; END"
    )
    op.execute(
        f"INSERT INTO book_search (rowid, {SQLITE_COLUMNS}) "
        f"SELECT book_id, {SQLITE_COLUMNS} FROM book_search_source"
    )


def _downgrade_sqlite():
    for name in [*SQLITE_TRIGGERS, "books_search_ad"]:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP VIEW IF EXISTS book_search_source")
    op.execute("DROP TABLE IF EXISTS book_search")


# ---------------------------------------------------------------------------------------------
# PostgreSQL: a weighted tsvector per book (title A, people and series B, subtitle C,
# description D) in book_search with a GIN index, filled from one view by triggers.
# ---------------------------------------------------------------------------------------------

PG_SOURCE_VIEW = """
CREATE VIEW book_search_source AS
SELECT
  b.id AS book_id,
  setweight(to_tsvector('bookstore_search',
              coalesce(b.title, '') || ' ' || coalesce(b.original_title, '') || ' ' ||
              coalesce((SELECT string_agg(e.isbn13, ' ') FROM editions e
                        WHERE e.book_id = b.id), '')), 'A')
  || setweight(to_tsvector('bookstore_search',
              coalesce((SELECT string_agg(c.name, ' ' ORDER BY bc.position)
                        FROM book_contributors bc JOIN contributors c
                          ON c.id = bc.contributor_id
                        WHERE bc.book_id = b.id), '') || ' ' ||
              coalesce((SELECT s.name FROM series s WHERE s.id = b.series_id), '')), 'B')
  || setweight(to_tsvector('bookstore_search', coalesce(b.subtitle, '')), 'C')
  || setweight(to_tsvector('bookstore_search', coalesce(b.description, '')), 'D')
  AS document
FROM books b
"""

PG_REFRESH_FUNCTION = """
CREATE FUNCTION book_search_refresh(ids integer[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO book_search (book_id, document)
  SELECT book_id, document FROM book_search_source WHERE book_id = ANY(ids)
  ON CONFLICT (book_id) DO UPDATE SET document = EXCLUDED.document
$$
"""

# Bulk writers set the transaction-local setting bookstore.search_index_paused to 'on' and
# rebuild the index of their books in one statement before they commit.
PG_TRIGGER_FUNCTION = """
CREATE FUNCTION book_search_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  ids integer[];
BEGIN
  IF current_setting('bookstore.search_index_paused', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'books' THEN
    ids := ARRAY[NEW.id];
  ELSIF TG_TABLE_NAME IN ('editions', 'book_contributors') THEN
    IF TG_OP = 'INSERT' THEN
      ids := ARRAY[NEW.book_id];
    ELSIF TG_OP = 'UPDATE' THEN
      ids := ARRAY[OLD.book_id, NEW.book_id];
    ELSE
      ids := ARRAY[OLD.book_id];
    END IF;
  ELSIF TG_TABLE_NAME = 'contributors' THEN
    ids := ARRAY(SELECT book_id FROM book_contributors WHERE contributor_id = NEW.id);
  ELSIF TG_TABLE_NAME = 'series' THEN
    ids := ARRAY(SELECT id FROM books WHERE series_id = NEW.id);
  END IF;
  PERFORM book_search_refresh(ids);
  RETURN NULL;
END
$$
"""

PG_TRIGGERS = {
    "books_search_aiu": (
        "AFTER INSERT OR UPDATE OF title, subtitle, original_title, description, series_id",
        "books",
    ),
    "editions_search_aiud": ("AFTER INSERT OR UPDATE OF isbn13, book_id OR DELETE", "editions"),
    "credits_search_aiud": ("AFTER INSERT OR UPDATE OR DELETE", "book_contributors"),
    "contributors_search_au": ("AFTER UPDATE OF name", "contributors"),
    "series_search_au": ("AFTER UPDATE OF name", "series"),
}


def _unaccent_schema(bind):
    """Install unaccent if this server allows it; the schema it lives in, or None."""
    for statement in (
        "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public",
        "CREATE EXTENSION IF NOT EXISTS unaccent",
    ):
        savepoint = bind.begin_nested()
        try:
            bind.execute(sa.text(statement))
        except sa.exc.DBAPIError:
            savepoint.rollback()
            continue
        savepoint.commit()
        break
    return bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e "
            "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'"
        )
    ).scalar()


def _upgrade_postgresql():
    bind = op.get_bind()
    schema = _unaccent_schema(bind)
    # 'simple' (no stemming, no stop words, like SQLite's unicode61) plus unaccent when present:
    # prefix matching stands in for stemming, and Cyrillic words are kept as they are.
    op.execute("CREATE TEXT SEARCH CONFIGURATION bookstore_search (COPY = pg_catalog.simple)")
    if schema:
        op.execute(
            "ALTER TEXT SEARCH CONFIGURATION bookstore_search "
            f'ALTER MAPPING FOR hword, hword_part, word WITH "{schema}".unaccent, simple'
        )
    op.execute(
        "CREATE TABLE book_search ("
        " book_id integer PRIMARY KEY REFERENCES books (id) ON DELETE CASCADE,"
        " document tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_book_search_document ON book_search USING gin (document)")
    op.execute(PG_SOURCE_VIEW)
    op.execute(PG_REFRESH_FUNCTION)
    op.execute(PG_TRIGGER_FUNCTION)
    for name, (event, table) in PG_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {event} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION book_search_trigger()"
        )
    op.execute("INSERT INTO book_search (book_id, document) SELECT * FROM book_search_source")


def _downgrade_postgresql():
    for name, (_event, table) in PG_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS book_search_trigger()")
    op.execute("DROP FUNCTION IF EXISTS book_search_refresh(integer[])")
    op.execute("DROP VIEW IF EXISTS book_search_source")
    op.execute("DROP TABLE IF EXISTS book_search")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS bookstore_search")
    # unaccent stays: other schemas of the same database may use it.


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _upgrade_sqlite()
    elif dialect == "postgresql":
        _upgrade_postgresql()
    else:
        raise NotImplementedError(f"no search index for {dialect}")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _downgrade_sqlite()
    elif dialect == "postgresql":
        _downgrade_postgresql()
