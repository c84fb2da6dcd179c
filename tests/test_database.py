"""Engine set-up (bookstore/database.py): on PostgreSQL a request that only read ends its
transaction with COMMIT, so the statements psycopg prepares outlive the request; one that
wrote and did not commit is still rolled back. A pooled connection the database closed while
it sat idle is replaced before a request uses it."""

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.exc import OperationalError

from bookstore import create_app, database
from bookstore.catalog.models import Book
from bookstore.database import _reads_only, _runs_outside_transaction
from bookstore.extensions import db
from tests.factories import make_book
from tests.fixtures.database import app_config


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


def test_a_connection_the_database_closed_while_idle_is_replaced_before_a_request(
    postgres_database, tmp_path, monkeypatch
):
    url, options = postgres_database
    config = app_config(url, options, tmp_path / "instance")
    config["SQLALCHEMY_ENGINE_OPTIONS"].pop("pool_pre_ping")  # as the shop ships
    app = create_app(config)

    @app.get("/test-backend")
    def backend():
        return str(db.session.scalar(text("SELECT pg_backend_pid()")))

    client = app.test_client()
    first = client.get("/test-backend").text
    other = create_engine(url, **options)
    try:
        with other.connect() as connection:  # as a restart of the database would
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": int(first)})
        monkeypatch.setattr(database, "IDLE_BEFORE_PING_SECONDS", 0.0)
        second = client.get("/test-backend")
        assert second.status_code == 200
        assert second.text != first
    finally:
        other.dispose()
        with app.app_context():
            db.engine.dispose()


def test_a_select_run_before_reads_its_rows_without_the_cursor_description(pg_app, monkeypatch):
    """psycopg builds a cursor's description afresh on each read: a SELECT whose result
    columns SQLAlchemy knows from an earlier run is read without it, with the same rows, by
    name and by position, through Core and the ORM; streamed results still stream."""
    import psycopg

    with pg_app.app_context():
        ids = [make_book(title).id for title in ("Murder at the Dacha", "The Thaw")]
        db.session.commit()
        reads = []
        described = psycopg.Cursor.description

        def counted(cursor):
            reads.append(cursor)
            return described.__get__(cursor)

        monkeypatch.setattr(psycopg.Cursor, "description", property(counted))
        titles = select(Book.id, Book.title).where(Book.id.in_(ids)).order_by(Book.id)
        connection = db.session.connection()
        first = connection.execute(titles).all()
        assert len(reads) == 1  # the first run learns the columns
        for _ in range(3):
            rows = connection.execute(titles).all()
            assert rows == first
            assert [row.title for row in rows] == ["Murder at the Dacha", "The Thaw"]
            assert [row._mapping[Book.__table__.c.title] for row in rows] == [r[1] for r in first]
            assert [row._mapping[Book.__table__.c.title] for row in first] == [r[1] for r in first]
        assert len(reads) == 1
        books = select(Book).where(Book.id.in_(ids)).order_by(Book.id)
        for _ in range(3):
            assert [book.title for book in db.session.scalars(books)] == [
                "Murder at the Dacha",
                "The Thaw",
            ]
        streamed = {"stream_results": True, "max_row_buffer": 1}
        for _ in range(2):
            assert [
                row.title for row in connection.execute(titles, execution_options=streamed)
            ] == [
                "Murder at the Dacha",
                "The Thaw",
            ]
        # Statements that return no rows, and text, still learn that from the cursor.
        assert connection.execute(update(Book).where(Book.id == -1).values(title="x")).rowcount == 0
        assert connection.execute(text("SELECT 1 AS one")).one().one == 1
        db.session.rollback()


def _open_transaction() -> bool:
    """Whether the session's connection has a transaction open on the server."""
    from psycopg.pq import TransactionStatus

    driver = db.session.connection().connection.driver_connection
    return driver.pgconn.transaction_status != TransactionStatus.IDLE


@pytest.mark.parametrize(
    ("statement", "outside"),
    [
        ("SELECT books.id FROM books", True),
        ("\nWITH w AS MATERIALIZED (SELECT 1) SELECT updated_at FROM w", True),
        ("SHOW plan_cache_mode", True),
        ("SELECT id FROM books WHERE id = 1 FOR UPDATE", False),
        ("SELECT id FROM books FOR NO KEY UPDATE OF books SKIP LOCKED", False),
        ("SELECT id FROM books FOR KEY SHARE", False),
        ("SELECT set_config('enable_seqscan', 'off', true)", False),
        ("SELECT pg_advisory_xact_lock(1)", False),
        ("SELECT nextval('books_id_seq')", False),
        ("SELECT id INTO TEMPORARY kept FROM books", False),
        ("WITH gone AS (DELETE FROM carts RETURNING id) SELECT count(*) FROM gone", False),
        ("INSERT INTO books (title) VALUES ('x')", False),
        ("SAVEPOINT sa_savepoint_1", False),
        ("SET LOCAL statement_timeout = 1000", False),
    ],
)
def test_only_a_read_that_locks_and_sets_nothing_runs_outside_a_transaction(statement, outside):
    assert _runs_outside_transaction(statement) is outside


def test_reads_run_without_a_transaction_until_the_first_write_which_a_rollback_undoes(pg_app):
    with pg_app.app_context():
        book_id = make_book("Murder at the Dacha").id
        db.session.commit()
        assert db.session.scalar(select(Book.title)) == "Murder at the Dacha"
        assert not _open_transaction()  # no BEGIN and COMMIT around a read
        db.session.execute(update(Book).where(Book.id == book_id).values(title="Changed"))
        assert _open_transaction()
        assert db.session.scalar(select(Book.title)) == "Changed"  # the transaction's own write
        db.session.rollback()
        assert db.session.scalar(select(Book.title)) == "Murder at the Dacha"
        assert not _open_transaction()  # the next use of the connection reads outside again


def test_a_read_that_locks_holds_its_lock_until_the_transaction_ends(pg_app):
    import psycopg

    with pg_app.app_context():
        book_id = make_book("Murder at the Dacha").id
        db.session.commit()
        db.session.execute(select(Book.id).where(Book.id == book_id).with_for_update())
        other = db.engine.connect()
        try:
            probe = select(Book.id).where(Book.id == book_id).with_for_update(nowait=True)
            with pytest.raises(OperationalError) as refused:
                other.execute(probe)
            assert isinstance(refused.value.orig, psycopg.errors.LockNotAvailable)
            other.rollback()
            db.session.commit()
            assert other.execute(probe).scalar() == book_id
        finally:
            other.close()


@pytest.mark.parametrize("through", ["engine", "driver"])
def test_a_setting_for_the_transaction_holds_for_the_statements_after_it(pg_app, through):
    """Search sets its planner settings for the rest of its transaction, on the driver."""
    setting = "SELECT set_config('bookstore.probe', 'on', true)"
    with pg_app.app_context():
        connection = db.session.connection()
        if through == "engine":
            connection.execute(text(setting))
        else:
            connection.connection.driver_connection.execute(setting).fetchall()
        assert db.session.scalar(text("SELECT current_setting('bookstore.probe')")) == "on"
        db.session.commit()
        assert db.session.scalar(text("SELECT current_setting('bookstore.probe', true)")) in (
            None,
            "",
        )


def test_a_connection_asked_for_autocommit_keeps_it_for_its_writes(pg_app):
    with pg_app.app_context():
        book_id = make_book("Murder at the Dacha").id
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(update(Book).where(Book.id == book_id).values(title="Changed"))
            connection.rollback()  # nothing to undo: the write was committed as it ran
        db.session.remove()
        assert db.session.scalar(select(Book.title)) == "Changed"
        assert not _open_transaction()


def test_book_cards_read_their_books_and_authors_from_indexes_alone(pg_app):
    """PostgreSQL: every column the card query reads of books and contributors is in an index
    (``catalog/indexes.py``): a column added to the cards needs adding there too."""
    from bookstore.catalog.cards import _CARDS_BY_ARRAY

    with pg_app.app_context():
        ids = [make_book(f"Book {number}").id for number in range(30)]
        db.session.commit()
        # The planner prefers an index-only scan where the table's pages are all-visible, as
        # autovacuum keeps a live shop's. VACUUM here cannot always mark them (another
        # session's open transaction holds them back), so the test's own transaction says
        # they are, as VACUUM would have (rolled back after).
        tables = ["books", "editions", "contributors", "book_contributors"]
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
            autocommit.exec_driver_sql(f"ANALYZE {', '.join(tables)}")
        connection = db.session.connection()
        connection.execute(
            text(
                "UPDATE pg_class SET relallvisible = relpages "
                "WHERE oid = ANY(CAST(:tables AS regclass[]))"
            ),
            {"tables": tables},
        )
        for setting in ("enable_seqscan", "enable_bitmapscan"):  # a few rows: a table scan
            connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        driver = connection.connection.driver_connection
        plan = "\n".join(
            row[0] for row in driver.execute(f"EXPLAIN {_CARDS_BY_ARRAY}", {"ids": ids[:2]})
        )
        db.session.rollback()
    assert "Index Only Scan using ix_books_id_card on books" in plan
    assert "Index Only Scan using ix_contributors_id_card on contributors" in plan
    assert "Index Only Scan using ix_editions_book_id_card on editions" in plan
    assert "Index Only Scan using ix_book_contributors_book_id_role_position" in plan


def test_a_connection_pinged_after_a_write_still_reads_outside_a_transaction(pg_app, monkeypatch):
    with pg_app.app_context():
        book_id = make_book("Murder at the Dacha").id
        db.session.commit()  # the connection's last use wrote, in a transaction
        db.session.remove()
        monkeypatch.setattr(database, "IDLE_BEFORE_PING_SECONDS", 0.0)  # ping on checkout
        assert db.session.get(Book, book_id).title == "Murder at the Dacha"
        assert not _open_transaction()
