"""Sales tax given back by refunds, dated, so a month's tax figures take off the refunds made
in it. Orders refunded before this keep theirs as of their last change: all their tax when
refunded in full, else their share of tax in the amount refunded.

Revision ID: 7b1d4c2e9f30
Revises: 2e5e5b6f9a8f
Create Date: 2026-12-08 00:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '7b1d4c2e9f30'
down_revision = '2e5e5b6f9a8f'
branch_labels = None
depends_on = None

SHARE = "(2 * refunded_cents * tax_cents + total_cents) / (2 * total_cents)"


def upgrade():
    op.create_table('tax_refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('refunded_to_cents', sa.Integer(), nullable=False),
    sa.Column('cents', sa.Integer(), nullable=False),
    sa.Column('created_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('cents > 0', name=op.f('ck_tax_refunds_cents_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_tax_refunds_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_refunds')),
    sa.UniqueConstraint('order_id', 'refunded_to_cents', name='uq_tax_refunds_order_step')
    )
    with op.batch_alter_table('tax_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tax_refunds_created_at'), ['created_at'], unique=False)

    op.execute(
        "INSERT INTO tax_refunds (order_id, refunded_to_cents, cents, created_at) "
        f"SELECT id, refunded_cents, CASE WHEN state = 'refunded' OR {SHARE} > tax_cents THEN tax_cents "
        f"ELSE {SHARE} END, updated_at FROM orders "
        "WHERE tax_cents > 0 AND refunded_cents > 0 AND total_cents > 0 "
        "AND state IN ('partially_refunded', 'refunded') AND "
        f"(state = 'refunded' OR {SHARE} > 0)"
    )


def downgrade():
    with op.batch_alter_table('tax_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tax_refunds_created_at'))

    op.drop_table('tax_refunds')
