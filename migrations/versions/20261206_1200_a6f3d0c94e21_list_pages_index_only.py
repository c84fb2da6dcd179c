"""List pages from indexes alone: a subject's books (``book_subjects (subject_id, book_id)`` in
place of the index on ``subject_id``, which sent every read of a subject's book ids to the
table), and what a book card reads of its editions and authors (the editions' index on
``book_id`` grows the card's columns; the credits get one by book, role and position).

Revision ID: a6f3d0c94e21
Revises: c5d81e0a7b42
Create Date: 2026-12-06 12:00:00

"""

from alembic import op

revision = "a6f3d0c94e21"
down_revision = "c5d81e0a7b42"
branch_labels = None
depends_on = None

EDITION_CARD = [
    "book_id",
    "id",
    "format",
    "price_cents",
    "published_on",
    "on_hand",
    "reserved",
    "low_stock_threshold",
    "out_of_print",
    "active",
]


def upgrade():
    with op.batch_alter_table("book_subjects") as batch_op:
        batch_op.create_index("ix_book_subjects_subject_id_book_id", ["subject_id", "book_id"])
        batch_op.drop_index("ix_book_subjects_subject_id")
    with op.batch_alter_table("editions") as batch_op:
        batch_op.create_index("ix_editions_book_id_card", EDITION_CARD)
        batch_op.drop_index("ix_editions_book_id")
    with op.batch_alter_table("book_contributors") as batch_op:
        batch_op.create_index(
            "ix_book_contributors_book_id_role_position",
            ["book_id", "role", "position", "contributor_id"],
        )


def downgrade():
    with op.batch_alter_table("book_contributors") as batch_op:
        batch_op.drop_index("ix_book_contributors_book_id_role_position")
    with op.batch_alter_table("editions") as batch_op:
        batch_op.create_index("ix_editions_book_id", ["book_id"])
        batch_op.drop_index("ix_editions_book_id_card")
    with op.batch_alter_table("book_subjects") as batch_op:
        batch_op.create_index("ix_book_subjects_subject_id", ["subject_id"])
        batch_op.drop_index("ix_book_subjects_subject_id_book_id")
