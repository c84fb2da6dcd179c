"""Inventory holds: copies held for checkouts are rows of their own; refunds of stray payments.

Copies held for an unpaid checkout were implied by ``orders.reserved_until`` and the order's
lines; now each hold is a ``stock_holds`` row (order, cart, edition, quantity, expiry), owned by
the inventory package. Existing holds are copied over. ``refunds.stray`` marks the automatic
refund of a second payment for an order.

Revision ID: 5b1f3a9c2d7e
Revises: 3c1e5b7a9d20
Create Date: 2026-12-06 01:00:00

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '5b1f3a9c2d7e'
down_revision = '3c1e5b7a9d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stock_holds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('cart_id', sa.Integer(), nullable=True),
        sa.Column('edition_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('expires_at', bookstore.dbtypes.UTCDateTime(), nullable=False),
        sa.Column('created_at', bookstore.dbtypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_stock_holds_quantity_positive')),
        sa.ForeignKeyConstraint(['cart_id'], ['carts.id'], name=op.f('fk_stock_holds_cart_id_carts'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_stock_holds_edition_id_editions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_stock_holds_order_id_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_holds')),
        sa.UniqueConstraint('order_id', 'edition_id', name='uq_stock_holds_order_id_edition_id'),
    )
    with op.batch_alter_table('stock_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_holds_cart_id'), ['cart_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_holds_edition_id'), ['edition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_holds_expires_at'), ['expires_at'], unique=False)
    # The holds of checkouts open during the upgrade.
    op.execute(
        "INSERT INTO stock_holds (order_id, cart_id, edition_id, quantity, expires_at, created_at) "
        "SELECT o.id, o.cart_id, l.edition_id, l.quantity, o.reserved_until, o.created_at "
        "FROM orders o JOIN order_lines l ON l.order_id = o.id "
        "WHERE o.reserved_until IS NOT NULL AND l.edition_id IS NOT NULL "
        "AND l.format <> 'ebook' AND o.state IN ('pending_payment', 'needs_review')"
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stray', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_column('stray')
    with op.batch_alter_table('stock_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_holds_expires_at'))
        batch_op.drop_index(batch_op.f('ix_stock_holds_edition_id'))
        batch_op.drop_index(batch_op.f('ix_stock_holds_cart_id'))
    op.drop_table('stock_holds')
