"""Promotion codes: codes staff create, each use of one on an order, and the code and its
discount on the order.

A use's ``shopper_key`` is unique per code while the use counts; a released use sets it to
NULL so the shopper may use the code again.

Revision ID: 9c376ef9da42
Revises: f88770a11c58
Create Date: 2026-12-06 02:58:30.129692

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '9c376ef9da42'
down_revision = 'f88770a11c58'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('promo_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.Enum('percent_off', 'amount_off', name='promo_code_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('all', 'subjects', 'formats', 'editions', name='promo_code_scope', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('min_order_cents', sa.Integer(), nullable=False),
    sa.Column('starts_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('total_uses', sa.Integer(), nullable=True),
    sa.Column('remaining_uses', sa.Integer(), nullable=True),
    sa.Column('use_limit', sa.Enum('none', 'customer', 'email', name='promo_use_limit', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('first_order_only', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'percent_off' OR value <= 10000", name=op.f('ck_promo_codes_percent_at_most_hundred')),
    sa.CheckConstraint('(total_uses IS NULL) = (remaining_uses IS NULL)', name=op.f('ck_promo_codes_limited_has_remaining')),
    sa.CheckConstraint('ends_at IS NULL OR ends_at > starts_at', name=op.f('ck_promo_codes_ends_after_start')),
    sa.CheckConstraint('min_order_cents >= 0', name=op.f('ck_promo_codes_min_order_not_negative')),
    sa.CheckConstraint('remaining_uses <= total_uses', name=op.f('ck_promo_codes_remaining_within_total')),
    sa.CheckConstraint('remaining_uses >= 0', name=op.f('ck_promo_codes_remaining_not_negative')),
    sa.CheckConstraint('total_uses IS NULL OR total_uses > 0', name=op.f('ck_promo_codes_total_uses_positive')),
    sa.CheckConstraint('value > 0', name=op.f('ck_promo_codes_value_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_promo_codes_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promo_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_promo_codes_code'))
    )
    op.create_table('promo_code_formats',
    sa.Column('promo_code_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.Enum('paperback', 'hardcover', 'ebook', name='promo_code_format', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.ForeignKeyConstraint(['promo_code_id'], ['promo_codes.id'], name=op.f('fk_promo_code_formats_promo_code_id_promo_codes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('promo_code_id', 'format', name=op.f('pk_promo_code_formats'))
    )
    op.create_table('promo_code_subjects',
    sa.Column('promo_code_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['promo_code_id'], ['promo_codes.id'], name=op.f('fk_promo_code_subjects_promo_code_id_promo_codes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_promo_code_subjects_subject_id_subjects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('promo_code_id', 'subject_id', name=op.f('pk_promo_code_subjects'))
    )
    op.create_table('promo_code_editions',
    sa.Column('promo_code_id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_promo_code_editions_edition_id_editions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['promo_code_id'], ['promo_codes.id'], name=op.f('fk_promo_code_editions_promo_code_id_promo_codes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('promo_code_id', 'edition_id', name=op.f('pk_promo_code_editions'))
    )
    op.create_table('promo_code_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promo_code_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('shopper_key', sa.String(length=280), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('reserved', 'redeemed', 'released', name='promo_use_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('discount_cents', sa.Integer(), nullable=False),
    sa.Column('line_discounts', sa.JSON(), nullable=False),
    sa.Column('reserved_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('redeemed_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('discount_cents >= 0', name=op.f('ck_promo_code_uses_discount_not_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_promo_code_uses_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['promo_code_id'], ['promo_codes.id'], name=op.f('fk_promo_code_uses_promo_code_id_promo_codes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_promo_code_uses_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promo_code_uses')),
    sa.UniqueConstraint('order_id', name='uq_promo_code_uses_order_id'),
    sa.UniqueConstraint('promo_code_id', 'shopper_key', name='uq_promo_code_uses_promo_code_id_shopper_key')
    )
    with op.batch_alter_table('promo_code_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promo_code_uses_promo_code_id'), ['promo_code_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promo_code', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('promo_discount_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_orders_promo_discount_not_negative'), 'promo_discount_cents >= 0')



def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_promo_discount_not_negative'), type_='check')
        batch_op.drop_column('promo_discount_cents')
        batch_op.drop_column('promo_code')

    with op.batch_alter_table('promo_code_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promo_code_uses_promo_code_id'))

    op.drop_table('promo_code_uses')
    op.drop_table('promo_code_editions')
    op.drop_table('promo_code_subjects')
    op.drop_table('promo_code_formats')
    op.drop_table('promo_codes')
