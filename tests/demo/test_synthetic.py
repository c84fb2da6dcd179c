"""The synthetic catalog for load tests: plausible, valid, searchable, and safe to run twice."""

from collections import Counter

import pytest
from sqlalchemy import func, select, text

from bookstore.catalog.isbn import is_valid_isbn13
from bookstore.catalog.models import Book, Edition, StockMovement
from bookstore.catalog.search import search_books
from bookstore.catalog.transliteration import search_aliases
from bookstore.demo import synthetic
from bookstore.demo.synthetic import ISBN_PREFIX, generate_books
from bookstore.extensions import db
from tests.factories import make_book


def quiet(_line: str) -> None:
    pass


def test_generated_books_have_one_to_three_editions_with_valid_unique_isbns(app_ctx):
    result = generate_books(40, seed=7, echo=quiet)
    assert result.books == 40
    books = db.session.scalars(select(Book)).all()
    assert len(books) == 40
    for book in books:
        assert 1 <= len(book.editions) <= 3
        assert len({e.format for e in book.editions}) == len(book.editions)
        assert book.authors, book.title
        assert book.subjects, book.title
        assert book.description
    isbns = db.session.scalars(select(Edition.isbn13)).all()
    assert len(isbns) == len(set(isbns)) == result.editions
    assert all(is_valid_isbn13(i) and i.startswith(ISBN_PREFIX) for i in isbns)


def test_ebooks_have_no_stock_and_print_stock_is_in_the_ledger(app_ctx):
    generate_books(40, seed=3, echo=quiet)
    for edition in db.session.scalars(select(Edition)):
        if not edition.is_physical:
            assert edition.on_hand == 0
        ledger = db.session.scalar(
            select(func.coalesce(func.sum(StockMovement.delta), 0)).where(
                StockMovement.edition_id == edition.id
            )
        )
        assert ledger == edition.on_hand
        assert edition.price_cents > 0


def test_search_finds_generated_books_by_title_and_isbn(app_ctx):
    generate_books(30, seed=11, echo=quiet)
    book = db.session.scalars(select(Book).order_by(Book.id.desc())).first()
    found = search_books(db.session, book.title)
    assert book.id in [b.id for b in found.books]
    exact = search_books(db.session, book.editions[0].isbn13)
    assert [b.id for b in exact.books] == [book.id]


def test_a_cyrillic_original_title_is_found_by_its_latin_spelling_too(app_ctx):
    generate_books(60, seed=5, echo=quiet)
    book = db.session.scalars(select(Book).where(Book.original_title != "")).first()
    assert book.search_aliases == search_aliases(book.title, book.original_title)
    latin = book.search_aliases.split()[0]
    assert book.id in [b.id for b in search_books(db.session, latin).books]


def test_running_twice_with_the_same_seed_adds_more_books_without_collisions(app_ctx):
    generate_books(25, seed=1, echo=quiet)
    generate_books(25, seed=1, echo=quiet)
    slugs = db.session.scalars(select(Book.slug)).all()
    isbns = db.session.scalars(select(Edition.isbn13)).all()
    assert len(slugs) == len(set(slugs)) == 50
    assert len(isbns) == len(set(isbns))
    assert max(Counter(db.session.scalars(select(Book.title))).values()) <= 50


def test_ordinary_writes_after_a_run_still_work_and_are_indexed(app_ctx):
    generate_books(10, seed=5, echo=quiet)
    make_book("Zebra Samovar Quintessence")
    db.session.commit()
    assert [b.title for b in search_books(db.session, "quintessence").books] == [
        "Zebra Samovar Quintessence"
    ]


def test_generate_command_reports_progress(runner):
    result = runner.invoke(args=["demo", "generate", "--books", "12", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "12 / 12 books" in result.output
    assert "Done: 12 books" in result.output


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # FTS5's segments
def test_a_bulk_run_leaves_the_search_index_in_one_segment(app_ctx, monkeypatch):
    monkeypatch.setattr(synthetic, "BATCH_SIZE", 10)  # four batches, four segments unmerged
    generate_books(40, seed=9, echo=quiet)
    segments = db.session.execute(
        text("SELECT count(DISTINCT segid) FROM book_search_idx")
    ).scalar_one()
    assert segments == 1
    book = db.session.scalars(select(Book).order_by(Book.id.desc())).first()
    assert book.id in [b.id for b in search_books(db.session, book.title).books]
