"""Wishlist, availability alerts and cart reminders.

``wishlist_items``: editions a reader saved for later. ``stock_alerts``: a reader (a user, or a
guest's confirmed address) waiting for one email when an edition can be ordered; at most one
open alert per edition and reader (partial unique indexes). ``reminder_opt_outs``: addresses
that want no cart reminders. ``carts.reminder_email`` (a guest's consent at checkout) and
``carts.reminded_at`` (the one reminder, claimed by a conditional UPDATE).

Revision ID: 5567c0e22ca1
Revises: e209a0fe5f53
Create Date: 2026-12-06 03:00:12.328612

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '5567c0e22ca1'
down_revision = 'e209a0fe5f53'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_opt_outs')),
    sa.UniqueConstraint('email', name=op.f('uq_reminder_opt_outs_email'))
    )
    op.create_table('stock_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('kind', sa.Enum('back_in_stock', 'publication', name='alert_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('state', sa.Enum('pending', 'waiting', 'sent', 'cancelled', name='alert_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmation_sent_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_stock_alerts_edition_id_editions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stock_alerts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_alerts'))
    )
    with op.batch_alter_table('stock_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_stock_alerts_edition_id_state', ['edition_id', 'state'], unique=False)
        batch_op.create_index('uq_stock_alerts_open_email', ['edition_id', 'email'], unique=True, sqlite_where=sa.text("state IN ('pending', 'waiting')"), postgresql_where=sa.text("state IN ('pending', 'waiting')"))
        batch_op.create_index('uq_stock_alerts_open_user', ['edition_id', 'user_id'], unique=True, sqlite_where=sa.text("state IN ('pending', 'waiting')"), postgresql_where=sa.text("state IN ('pending', 'waiting')"))

    op.create_table('wishlist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('added_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_wishlist_items_edition_id_editions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_wishlist_items_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wishlist_items')),
    sa.UniqueConstraint('user_id', 'edition_id', name='uq_wishlist_items_user_id_edition_id')
    )
    with op.batch_alter_table('wishlist_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wishlist_items_edition_id'), ['edition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wishlist_items_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('reminder_email')

    with op.batch_alter_table('wishlist_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wishlist_items_user_id'))
        batch_op.drop_index(batch_op.f('ix_wishlist_items_edition_id'))

    op.drop_table('wishlist_items')
    with op.batch_alter_table('stock_alerts', schema=None) as batch_op:
        batch_op.drop_index('uq_stock_alerts_open_user', sqlite_where=sa.text("state IN ('pending', 'waiting')"), postgresql_where=sa.text("state IN ('pending', 'waiting')"))
        batch_op.drop_index('uq_stock_alerts_open_email', sqlite_where=sa.text("state IN ('pending', 'waiting')"), postgresql_where=sa.text("state IN ('pending', 'waiting')"))
        batch_op.drop_index('ix_stock_alerts_edition_id_state')

    op.drop_table('stock_alerts')
    op.drop_table('reminder_opt_outs')
