"""deals chosen in carts, discounts on order lines, membership orders

Revision ID: 59ec5ac6b742
Revises: de6fd04d06ae
Create Date: 2026-11-29 08:47:10.000000

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '59ec5ac6b742'
down_revision = 'de6fd04d06ae'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cart_deal_choices',
    sa.Column('cart_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('chosen_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cart_id'], ['carts.id'], name=op.f('fk_cart_deal_choices_cart_id_carts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['claim_id'], ['deal_claims.id'], name=op.f('fk_cart_deal_choices_claim_id_deal_claims'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cart_id', 'claim_id', name=op.f('pk_cart_deal_choices'))
    )
    with op.batch_alter_table('cart_deal_choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cart_deal_choices_claim_id'), ['claim_id'], unique=False)

    op.create_table('order_line_discounts',
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('discount_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('discount_cents > 0', name=op.f('ck_order_line_discounts_discount_positive')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_order_line_discounts_deal_id_deals'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_line_discounts_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_order_line_discounts_order_line_id_order_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_line_id', 'deal_id', name=op.f('pk_order_line_discounts'))
    )
    with op.batch_alter_table('order_line_discounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_discounts_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_line_discounts_order_id'), ['order_id'], unique=False)

    op.create_table('order_memberships',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('price_cents >= 0', name=op.f('ck_order_memberships_price_not_negative')),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_order_memberships_membership_id_memberships'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_memberships_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_order_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_memberships'))
    )
    with op.batch_alter_table('order_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_memberships_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('order_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_memberships_user_id'))
    op.drop_table('order_memberships')
    with op.batch_alter_table('order_line_discounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_line_discounts_order_id'))
        batch_op.drop_index(batch_op.f('ix_order_line_discounts_deal_id'))
    op.drop_table('order_line_discounts')
    with op.batch_alter_table('cart_deal_choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cart_deal_choices_claim_id'))
    op.drop_table('cart_deal_choices')
