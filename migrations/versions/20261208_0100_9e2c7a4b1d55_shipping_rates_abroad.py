"""Shipping abroad: what staff charge to post printed books to another country (or to every
country abroad without a rate of its own), and how many business days each method takes.

Revision ID: 9e2c7a4b1d55
Revises: 7b1d4c2e9f30
Create Date: 2026-12-08 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '9e2c7a4b1d55'
down_revision = '7b1d4c2e9f30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shipping_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('standard_cents', sa.Integer(), nullable=False),
    sa.Column('extra_copy_cents', sa.Integer(), nullable=False),
    sa.Column('express_cents', sa.Integer(), nullable=True),
    sa.Column('free_over_cents', sa.Integer(), nullable=True),
    sa.Column('standard_days', sa.String(length=7), nullable=False),
    sa.Column('express_days', sa.String(length=7), nullable=False),
    sa.Column('updated_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('standard_cents >= 0 AND extra_copy_cents >= 0 AND (express_cents IS NULL OR express_cents >= 0) AND (free_over_cents IS NULL OR free_over_cents >= 0)', name=op.f('ck_shipping_rates_amounts_not_negative')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_shipping_rates_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_rates')),
    sa.UniqueConstraint('country', name=op.f('uq_shipping_rates_country'))
    )


def downgrade():
    op.drop_table('shipping_rates')
