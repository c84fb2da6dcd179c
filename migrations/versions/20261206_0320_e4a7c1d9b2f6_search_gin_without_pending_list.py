"""Search indexes without a pending list (PostgreSQL): every search reads the GIN index only.

With ``fastupdate`` on (PostgreSQL's default), new index entries wait in an unsorted pending
list, up to 4 MB, until a vacuum merges them; every search scans that list from end to end, and
the planner, seeing its pages, walks the books by id instead of asking the index. After a bulk
load a 100,000-book catalog held 47,000 such entries: a title search took 20-360 ms instead of
under 1 ms. The catalog is written rarely and searched often, so entries go straight into the
index (a write pays a little more), and whatever waits in the lists now is merged here.

Revision ID: e4a7c1d9b2f6
Revises: 9c376ef9da42
Create Date: 2026-12-06 03:20:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e4a7c1d9b2f6'
down_revision = '9c376ef9da42'
branch_labels = None
depends_on = None

INDEXES = ("ix_book_search_document", "ix_book_search_title_document")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RESET (fastupdate)")
