"""Engine set-up (bookstore/database.py): on PostgreSQL a request that only read ends its
transaction with COMMIT, so the statements psycopg prepares outlive the request; one that
wrote and did not commit is still rolled back."""

import pytest
from sqlalchemy import select, text, update

from bookstore.catalog.models import Book
from bookstore.database import _reads_only
from bookstore.extensions import db
from tests.factories import make_book


def test_statements_a_page_repeats_stay_prepared_across_requests(pg_app):
    with pg_app.app_context():
        book_id = make_book("Murder at the Dacha").id
        db.session.commit()

    @pg_app.get("/test-title")
    def title():
        return db.session.scalar(select(Book.title).where(Book.id == book_id))

    @pg_app.get("/test-prepared")
    def prepared():
        return str(db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")))

    client = pg_app.test_client()
    for _ in range(6):  # psycopg prepares a statement on its fifth run
        assert client.get("/test-title").text == "Murder at the Dacha"
    assert int(client.get("/test-prepared").text) > 0


def test_a_request_that_wrote_and_did_not_commit_is_rolled_back(pg_app):
    with pg_app.app_context():
        book_id = make_book("Murder at the Dacha").id
        db.session.commit()

    @pg_app.get("/test-write-no-commit")
    def write_no_commit():
        db.session.execute(update(Book).where(Book.id == book_id).values(title="Changed"))
        return "written, not committed"

    @pg_app.get("/test-copy-no-commit")
    def copy_no_commit():
        from bookstore import page_cache

        db.session.scalar(select(Book.title))  # a read first...
        page_cache.note_change(db.session.connection())  # ...then a write the engine cannot see
        db.session.connection().exec_driver_sql("UPDATE books SET title = 'Copied'")
        return "written, not committed"

    client = pg_app.test_client()
    assert client.get("/test-write-no-commit").status_code == 200
    assert client.get("/test-copy-no-commit").status_code == 200
    with pg_app.app_context():
        assert db.session.scalar(select(Book.title)) == "Murder at the Dacha"


@pytest.mark.parametrize(
    ("statement", "reads_only"),
    [
        ("SELECT books.id FROM books", True),
        ("\nWITH w AS MATERIALIZED (SELECT 1) SELECT updated_at FROM w", True),
        ("WITH gone AS (DELETE FROM carts RETURNING id) SELECT count(*) FROM gone", False),
        ("UPDATE books SET title = 'x'", False),
        ("SAVEPOINT sa_savepoint_1", False),
    ],
)
def test_a_transaction_counts_as_read_only_only_while_every_statement_reads(statement, reads_only):
    assert _reads_only(statement) is reads_only
