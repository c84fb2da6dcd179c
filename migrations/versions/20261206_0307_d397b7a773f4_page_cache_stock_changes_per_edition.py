"""Page cache: stock changes per edition, so a sale refreshes only the pages that show the
editions sold (``page_cache_generation.stock_seq`` numbers those commits in order).

Revision ID: d397b7a773f4
Revises: e4a7c1d9b2f6
Create Date: 2026-12-06 03:07:09.931531

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = 'd397b7a773f4'
down_revision = 'e4a7c1d9b2f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('page_cache_stock_changes',
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('seq', 'edition_id', name=op.f('pk_page_cache_stock_changes'))
    )
    with op.batch_alter_table('page_cache_generation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stock_seq', sa.BigInteger(), server_default='0', nullable=False))

def downgrade():
    with op.batch_alter_table('page_cache_generation', schema=None) as batch_op:
        batch_op.drop_column('stock_seq')

    op.drop_table('page_cache_stock_changes')
