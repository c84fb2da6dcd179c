"""Reviews, helpful votes, press reviews; the rating on books

Readers' reviews (one per reader per book, with the words waiting for moderation and the words
published), one helpful vote per reader per review, staff's press quotes, and on ``books`` the
count and sum of published ratings that cards and the book page show.

Revision ID: f88770a11c58
Revises: 5567c0e22ca1
Create Date: 2026-12-06 03:00:01.975358

"""
from alembic import op
import sqlalchemy as sa

import bookstore.dbtypes  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = 'f88770a11c58'
down_revision = '5567c0e22ca1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('professional_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('book_id', sa.Integer(), nullable=False),
    sa.Column('quote', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('created_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['book_id'], ['books.id'], name=op.f('fk_professional_reviews_book_id_books'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_professional_reviews'))
    )
    with op.batch_alter_table('professional_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_professional_reviews_book_id'), ['book_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('book_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('verified_purchase', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'approved', 'rejected', name='review_state', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('rejection_reason', sa.String(length=500), nullable=False),
    sa.Column('published_rating', sa.Integer(), nullable=True),
    sa.Column('published_title', sa.String(length=120), nullable=False),
    sa.Column('published_body', sa.Text(), nullable=False),
    sa.Column('published_verified', sa.Boolean(), nullable=False),
    sa.Column('published_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('helpful_count', sa.Integer(), nullable=False),
    sa.Column('created_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('moderated_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('helpful_count >= 0', name=op.f('ck_reviews_helpful_count_not_negative')),
    sa.CheckConstraint('length(body) <= 5000', name=op.f('ck_reviews_body_length')),
    sa.CheckConstraint('published_rating IS NULL OR published_rating BETWEEN 1 AND 5', name=op.f('ck_reviews_published_rating_range')),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_reviews_rating_range')),
    sa.ForeignKeyConstraint(['book_id'], ['books.id'], name=op.f('fk_reviews_book_id_books'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['users.id'], name=op.f('fk_reviews_moderated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reviews_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('book_id', 'user_id', name='uq_reviews_book_id_user_id')
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_book_id'), ['book_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_user_id'), ['user_id'], unique=False)

    op.create_table('review_votes',
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', bookstore.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_votes_review_id_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('review_id', 'user_id', name=op.f('pk_review_votes'))
    )
    with op.batch_alter_table('review_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_votes_user_id'), ['user_id'], unique=False)

    op.add_column('books', sa.Column('review_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('books', sa.Column('rating_total', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    # Not a batch (which rebuilds the table on SQLite and trips the search triggers on books).
    op.execute("ALTER TABLE books DROP COLUMN rating_total")
    op.execute("ALTER TABLE books DROP COLUMN review_count")

    with op.batch_alter_table('review_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_votes_user_id'))

    op.drop_table('review_votes')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_user_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_state'))
        batch_op.drop_index(batch_op.f('ix_reviews_published_at'))
        batch_op.drop_index(batch_op.f('ix_reviews_book_id'))

    op.drop_table('reviews')
    with op.batch_alter_table('professional_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_professional_reviews_book_id'))

    op.drop_table('professional_reviews')
