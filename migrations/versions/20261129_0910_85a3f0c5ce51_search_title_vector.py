"""Search on PostgreSQL: a title-only tsvector with its own GIN index.

Title matches are listed first. Asking the weighted vector for weight-A lexemes makes
PostgreSQL recheck every candidate row (GIN does not store weights); a separate title vector
answers "which books have every word in the title" from its index alone. SQLite needs nothing:
FTS5 filters by column inside its index.

Revision ID: 85a3f0c5ce51
Revises: 5e75318d0c41
Create Date: 2026-11-29 09:10:00

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '85a3f0c5ce51'
down_revision = '5e75318d0c41'
branch_labels = None
depends_on = None


# The view of the first search migration, with title_document added at the end.
PG_SOURCE_VIEW = """
CREATE OR REPLACE VIEW book_search_source AS
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
  AS document,
  to_tsvector('bookstore_search',
              coalesce(b.title, '') || ' ' || coalesce(b.original_title, ''))
  AS title_document
FROM books b
"""

PG_REFRESH_FUNCTION = """
CREATE OR REPLACE FUNCTION book_search_refresh(ids integer[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO book_search (book_id, document, title_document)
  SELECT book_id, document, title_document FROM book_search_source WHERE book_id = ANY(ids)
  ON CONFLICT (book_id) DO UPDATE
    SET document = EXCLUDED.document, title_document = EXCLUDED.title_document
$$
"""

PG_OLD_REFRESH_FUNCTION = """
CREATE OR REPLACE FUNCTION book_search_refresh(ids integer[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO book_search (book_id, document)
  SELECT book_id, document FROM book_search_source WHERE book_id = ANY(ids)
  ON CONFLICT (book_id) DO UPDATE SET document = EXCLUDED.document
$$
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE book_search ADD COLUMN title_document tsvector NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE book_search ALTER COLUMN title_document DROP DEFAULT")
    op.execute(PG_SOURCE_VIEW)
    op.execute(PG_REFRESH_FUNCTION)
    op.execute(
        "UPDATE book_search s SET title_document = src.title_document "
        "FROM book_search_source src WHERE src.book_id = s.book_id"
    )
    op.execute(
        "CREATE INDEX ix_book_search_title_document ON book_search USING gin (title_document)"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_book_search_title_document")
    op.execute(PG_OLD_REFRESH_FUNCTION)
    # A view cannot lose a column by CREATE OR REPLACE: drop it and make the old one again.
    op.execute("DROP VIEW book_search_source")
    op.execute(
        PG_SOURCE_VIEW.replace("CREATE OR REPLACE VIEW", "CREATE VIEW").replace(
            "  AS document,\n  to_tsvector('bookstore_search',\n"
            "              coalesce(b.title, '') || ' ' || coalesce(b.original_title, ''))\n"
            "  AS title_document\n",
            "  AS document\n",
        )
    )
    op.execute("ALTER TABLE book_search DROP COLUMN title_document")
