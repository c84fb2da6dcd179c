"""Book cards from indexes alone on PostgreSQL: the book's card columns beside its id, and the
contributor's name beside theirs (``INCLUDE``), so that a list page's card query reads no
table rows of books or contributors. SQLite reads a row by its id from the table itself: it
gets neither.

Revision ID: 18d15234cb61
Revises: a6f3d0c94e21
Create Date: 2026-12-06 20:23:15

"""

from alembic import op

revision = "18d15234cb61"
down_revision = "a6f3d0c94e21"
branch_labels = None
depends_on = None

BOOK_CARD = ["title", "slug", "cover_image", "published_on", "review_count", "rating_total"]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if not _postgresql():
        return
    op.create_index("ix_books_id_card", "books", ["id"], postgresql_include=BOOK_CARD)
    op.create_index("ix_contributors_id_card", "contributors", ["id"], postgresql_include=["name"])


def downgrade():
    if not _postgresql():
        return
    op.drop_index("ix_contributors_id_card", table_name="contributors")
    op.drop_index("ix_books_id_card", table_name="books")
