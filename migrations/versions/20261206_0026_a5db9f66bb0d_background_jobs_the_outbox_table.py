"""Background jobs: the outbox table (one row per email or deferred effect, written in the
transaction that causes it, run by the workers with retries and a dead-letter state).

Revision ID: a5db9f66bb0d
Revises: 9c8d3f46bec0
Create Date: 2026-12-06 00:26:15.661245

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = 'a5db9f66bb0d'
down_revision = '9c8d3f46bec0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'running', 'done', 'failed', name='job_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_jobs_attempts_not_negative')),
    sa.CheckConstraint('max_attempts >= 1', name=op.f('ck_jobs_max_attempts_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('key', name=op.f('uq_jobs_key'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_state_run_after', ['state', 'run_after'], unique=False)



def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_state_run_after')

    op.drop_table('jobs')
