"""Indexes that keep the catalog's list pages fast at 100,000 books.

Kept beside the models (imported by ``bookstore.models``) so that Alembic sees them.
"""

from sqlalchemy import Index

from bookstore.catalog.models import Book, BookContributor, Contributor, Edition, book_subjects

# Browse newest first and by title: the id makes each an index-only scan on PostgreSQL, so a
# deep page's OFFSET walks a small index instead of the table.
books_newest = Index("ix_books_published_on_id", Book.published_on, Book.id)
books_title = Index("ix_books_title_id", Book.title, Book.id)
# Home page's featured books, newest first, without walking every book.
books_featured = Index("ix_books_featured_published_on", Book.featured, Book.published_on)
# A subject's books (the primary key leads with book_id, which serves the other direction);
# with the book's id, reading a subject's books is an index-only scan.
book_subjects_subject = Index(
    "ix_book_subjects_subject_id_book_id", book_subjects.c.subject_id, book_subjects.c.book_id
)
# Browse by price: books by their cheapest edition, an index-only scan like the others.
books_cheapest = Index("ix_books_min_price_cents_id", Book.min_price_cents, Book.id)
# Browse by price within one format: editions streamed in price order.
editions_price = Index("ix_editions_price_cents_book_id", Edition.price_cents, Edition.book_id)
# Browse by price within one format (hardcovers are few and dear: they would come last).
editions_format_price = Index(
    "ix_editions_format_price_cents_book_id",
    Edition.format,
    Edition.price_cents,
    Edition.book_id,
)
# The preorder filter: editions dated after today.
editions_published = Index("ix_editions_published_on", Edition.published_on)
# A book card's editions and authors, read from these indexes alone (catalog/cards.py): a
# list page's two dozen books no longer visit the editions' and the credits' rows.
editions_card = Index(
    "ix_editions_book_id_card",
    Edition.book_id,
    Edition.id,
    Edition.format,
    Edition.price_cents,
    Edition.published_on,
    Edition.on_hand,
    Edition.reserved,
    Edition.low_stock_threshold,
    Edition.out_of_print,
    Edition.active,
)
book_contributors_card = Index(
    "ix_book_contributors_book_id_role_position",
    BookContributor.book_id,
    BookContributor.role,
    BookContributor.position,
    BookContributor.contributor_id,
)
# PostgreSQL: the card's book and author name from indexes alone too (the book's primary key
# and the contributor's send each card to the table's rows: an index-only scan of these reads
# a sixth fewer pages, 330 -> 280 us of server CPU for a page of 20 cards). SQLite reads a row
# by its id from the table itself, so it has no use for them (``POSTGRESQL_ONLY``).
POSTGRESQL_ONLY = "postgresql_only"
books_card = Index(
    "ix_books_id_card",
    Book.id,
    postgresql_include=[
        "title",
        "slug",
        "cover_image",
        "published_on",
        "review_count",
        "rating_total",
    ],
    info={POSTGRESQL_ONLY: True},
)
contributors_card = Index(
    "ix_contributors_id_card",
    Contributor.id,
    postgresql_include=["name"],
    info={POSTGRESQL_ONLY: True},
)
