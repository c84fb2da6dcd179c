"""A subject's books from its index alone: ``book_subjects (subject_id, book_id)`` in place of
the index on ``subject_id``, which sent every read of a subject's book ids to the table.

Revision ID: a6f3d0c94e21
Revises: c5d81e0a7b42
Create Date: 2026-12-06 12:00:00

"""

from alembic import op

revision = "a6f3d0c94e21"
down_revision = "c5d81e0a7b42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("book_subjects") as batch_op:
        batch_op.create_index("ix_book_subjects_subject_id_book_id", ["subject_id", "book_id"])
        batch_op.drop_index("ix_book_subjects_subject_id")


def downgrade():
    with op.batch_alter_table("book_subjects") as batch_op:
        batch_op.create_index("ix_book_subjects_subject_id", ["subject_id"])
        batch_op.drop_index("ix_book_subjects_subject_id_book_id")
