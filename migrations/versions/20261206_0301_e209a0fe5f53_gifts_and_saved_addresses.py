"""Gifts and saved addresses: an order's gift options (order_gifts), the gift wrap price
(gift_settings), gift memberships with their claim links, a gift membership in the cart
(carts.gift_*), and signed-in shoppers' saved addresses (one default each).

Revision ID: e209a0fe5f53
Revises: 5b1f3a9c2d7e
Create Date: 2026-12-06 03:01:48.451812

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = 'e209a0fe5f53'
down_revision = '5b1f3a9c2d7e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gift_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wrap_enabled', sa.Boolean(), nullable=False),
    sa.Column('wrap_cents', sa.Integer(), nullable=False),
    sa.Column('updated_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('wrap_cents >= 0', name=op.f('ck_gift_settings_wrap_not_negative')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_gift_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_settings'))
    )
    op.create_table('saved_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('line1', sa.String(length=200), nullable=False),
    sa.Column('line2', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_addresses_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_addresses'))
    )
    with op.batch_alter_table('saved_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_addresses_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_saved_addresses_one_default', ['user_id'], unique=True, sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.create_table('order_gifts',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('from_name', sa.String(length=120), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('wrap', sa.Boolean(), nullable=False),
    sa.Column('wrap_cents', sa.Integer(), nullable=False),
    sa.Column('receipt_email', sa.String(length=254), nullable=False),
    sa.CheckConstraint('wrap_cents >= 0', name=op.f('ck_order_gifts_wrap_not_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_gifts_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_gifts'))
    )
    op.create_table('gift_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=True),
    sa.Column('buyer_email', sa.String(length=254), nullable=False),
    sa.Column('recipient_email', sa.String(length=254), nullable=False),
    sa.Column('recipient_name', sa.String(length=120), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('sent_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('membership_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price_cents >= 0', name=op.f('ck_gift_memberships_price_not_negative')),
    sa.ForeignKeyConstraint(['buyer_id'], ['users.id'], name=op.f('fk_gift_memberships_buyer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['users.id'], name=op.f('fk_gift_memberships_claimed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_gift_memberships_membership_id_memberships'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_gift_memberships_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_memberships')),
    sa.UniqueConstraint('order_id', name=op.f('uq_gift_memberships_order_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_gift_memberships_token_hash'))
    )
    with op.batch_alter_table('gift_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gift_memberships_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gift_memberships_recipient_email'), ['recipient_email'], unique=False)

    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gift_email', sa.String(length=254), server_default='', nullable=False))
        batch_op.add_column(sa.Column('gift_name', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('gift_message', sa.String(length=500), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.drop_column('gift_message')
        batch_op.drop_column('gift_name')
        batch_op.drop_column('gift_email')

    with op.batch_alter_table('gift_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gift_memberships_recipient_email'))
        batch_op.drop_index(batch_op.f('ix_gift_memberships_buyer_id'))

    op.drop_table('gift_memberships')
    op.drop_table('order_gifts')
    with op.batch_alter_table('saved_addresses', schema=None) as batch_op:
        batch_op.drop_index('uq_saved_addresses_one_default', sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))
        batch_op.drop_index(batch_op.f('ix_saved_addresses_user_id'))

    op.drop_table('saved_addresses')
    op.drop_table('gift_settings')
