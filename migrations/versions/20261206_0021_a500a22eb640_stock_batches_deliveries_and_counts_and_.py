"""Stock batches (deliveries received and stock counts, each line tied to its ledger entry)
and journal post images with alt text.

Revision ID: a500a22eb640
Revises: 07dc4ca63c66
Create Date: 2026-12-06 00:21:44.388704

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = 'a500a22eb640'
down_revision = '07dc4ca63c66'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stock_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('delivery', 'count')", name=op.f('ck_stock_batches_kind_known')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_stock_batches_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_batches'))
    )
    with op.batch_alter_table('stock_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_batches_created_at'), ['created_at'], unique=False)

    op.create_table('stock_batch_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('movement_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_stock_batch_lines_quantity_not_negative')),
    sa.ForeignKeyConstraint(['batch_id'], ['stock_batches.id'], name=op.f('fk_stock_batch_lines_batch_id_stock_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_stock_batch_lines_edition_id_editions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['movement_id'], ['stock_movements.id'], name=op.f('fk_stock_batch_lines_movement_id_stock_movements'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_batch_lines')),
    sa.UniqueConstraint('batch_id', 'edition_id', name='uq_stock_batch_lines_batch_edition')
    )
    with op.batch_alter_table('stock_batch_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_batch_lines_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_batch_lines_edition_id'), ['edition_id'], unique=False)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('image_alt', sa.String(length=300), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('image_alt')
        batch_op.drop_column('image')

    with op.batch_alter_table('stock_batch_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_batch_lines_edition_id'))
        batch_op.drop_index(batch_op.f('ix_stock_batch_lines_batch_id'))

    op.drop_table('stock_batch_lines')
    with op.batch_alter_table('stock_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_batches_created_at'))

    op.drop_table('stock_batches')
