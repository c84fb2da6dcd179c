"""Browse by price from one index: ``books.min_price_cents``, the cheapest active edition's
price, kept by triggers on editions (every writer, ORM or bulk, in the same transaction).

Revision ID: b7e2c4a91f3d
Revises: d397b7a773f4
Create Date: 2026-12-06 07:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b7e2c4a91f3d"
down_revision = "d397b7a773f4"
branch_labels = None
depends_on = None

CHEAPEST = "(SELECT min(price_cents) FROM editions WHERE book_id = {book} AND active)"
REFRESH = "UPDATE books SET min_price_cents = " + CHEAPEST + " WHERE id = {book};"

SQLITE_TRIGGERS = {
    "editions_min_price_ai": ("AFTER INSERT ON editions", REFRESH.format(book="NEW.book_id")),
    "editions_min_price_au": (
        "AFTER UPDATE OF price_cents, active, book_id ON editions "
        "WHEN OLD.price_cents IS NOT NEW.price_cents OR OLD.active IS NOT NEW.active "
        "OR OLD.book_id IS NOT NEW.book_id",
        REFRESH.format(book="NEW.book_id") + " " + REFRESH.format(book="OLD.book_id"),
    ),
    "editions_min_price_ad": ("AFTER DELETE ON editions", REFRESH.format(book="OLD.book_id")),
}

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION books_min_price_trigger() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE books SET min_price_cents = (SELECT min(price_cents) FROM editions
                                         WHERE book_id = OLD.book_id AND active)
     WHERE id = OLD.book_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    UPDATE books SET min_price_cents = (SELECT min(price_cents) FROM editions
                                         WHERE book_id = NEW.book_id AND active)
     WHERE id = NEW.book_id;
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

PG_TRIGGERS = {
    "editions_min_price_ai": "AFTER INSERT",
    "editions_min_price_au": (
        "AFTER UPDATE OF price_cents, active, book_id ON editions FOR EACH ROW "
        "WHEN (OLD.price_cents IS DISTINCT FROM NEW.price_cents "
        "OR OLD.active IS DISTINCT FROM NEW.active OR OLD.book_id IS DISTINCT FROM NEW.book_id)"
    ),
    "editions_min_price_ad": "AFTER DELETE",
}


def upgrade():
    with op.batch_alter_table("books", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_price_cents", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE books SET min_price_cents = "
        "(SELECT min(price_cents) FROM editions WHERE book_id = books.id AND active)"
    )
    with op.batch_alter_table("books", schema=None) as batch_op:
        batch_op.create_index("ix_books_min_price_cents_id", ["min_price_cents", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for name, event in PG_TRIGGERS.items():
            on = "" if " ON editions" in event else " ON editions FOR EACH ROW"
            op.execute(f"CREATE TRIGGER {name} {event}{on} EXECUTE FUNCTION books_min_price_trigger()")
    else:
        for name, (event, body) in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {event} BEGIN {body} END")


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON editions" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS books_min_price_trigger()")
    op.drop_index("ix_books_min_price_cents_id", table_name="books")
    # A plain DROP COLUMN: batch mode would copy the table, which the search triggers on
    # editions name (SQLite checks them as the old table goes).
    op.execute("ALTER TABLE books DROP COLUMN min_price_cents")
