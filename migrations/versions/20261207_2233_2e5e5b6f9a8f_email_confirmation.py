"""Confirmed email addresses: when a reader proved their account's address, and orders found
by email (a confirmed account gathers the orders placed as a guest with its address).

Revision ID: 2e5e5b6f9a8f
Revises: 3fc2a0e6e5a9
Create Date: 2026-12-07 22:33:50.817106

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '2e5e5b6f9a8f'
down_revision = '3fc2a0e6e5a9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_email'), ['email'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_email'))

