"""Sales tax: the rates staff keep per country or region, and what each order (and each of
its lines) was charged, and the place whose rate applied.

Revision ID: 3fc2a0e6e5a9
Revises: 18d15234cb61
Create Date: 2026-12-07 21:34:25.553578

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '3fc2a0e6e5a9'
down_revision = '18d15234cb61'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tax_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('rate', sa.Integer(), nullable=False),
    sa.Column('taxes_shipping', sa.Boolean(), nullable=False),
    sa.Column('taxes_ebooks', sa.Boolean(), nullable=False),
    sa.Column('updated_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('rate > 0 AND rate <= 30000', name=op.f('ck_tax_rates_rate_in_range')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_tax_rates_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_rates')),
    sa.UniqueConstraint('country', 'region', name='uq_tax_rates_country_region')
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_order_lines_tax_not_negative'), 'tax_cents >= 0')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_cents', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('tax_label', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('tax_country', sa.String(length=2), server_default='', nullable=False))
        batch_op.add_column(sa.Column('tax_region', sa.String(length=100), server_default='', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_orders_tax_not_negative'), 'tax_cents >= 0')



def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_orders_tax_not_negative'), type_='check')
        batch_op.drop_column('tax_region')
        batch_op.drop_column('tax_country')
        batch_op.drop_column('tax_label')
        batch_op.drop_column('tax_cents')

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_lines_tax_not_negative'), type_='check')
        batch_op.drop_column('tax_cents')

    op.drop_table('tax_rates')
