"""A search's statements run on the driver's connection (``catalog.search_statements``): in the
session's transaction, without SQLAlchemy's execution, and on PostgreSQL leaving the page's
other statements planned as they would be without the search."""

import pytest
from sqlalchemy import event, text

from bookstore.catalog import search
from bookstore.catalog.search import search_books
from bookstore.extensions import db
from tests.factories import make_book


@pytest.fixture
def catalog(app_ctx):
    search._vocabulary_cache.clear()  # did-you-mean's words from this catalog only
    for n in range(30):
        make_book(("Murder at the Dacha", "The Samovar", "Winter Tales")[n % 3] + f" {n}")
    db.session.commit()


@pytest.mark.parametrize("query", ["murder", "samovar tales", "tales winter", "zzzz", "smovar"])
def test_a_search_runs_no_statement_through_sqlalchemy(catalog, monkeypatch, query):
    monkeypatch.setattr(search, "MAX_RESULTS", 5)  # broad queries too: newest first
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(statement)

    search_books(db.session, "warm up the word lists")
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        for page in (1, 2):
            search_books(db.session, query, page)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    # Only a search that finds nothing reads through SQLAlchemy: the subjects it offers.
    assert all("FROM subjects" in statement for statement in seen)


def test_search_statements_see_what_the_session_flushed(catalog):
    make_book("Samovarnaya Nights")  # flushed, not committed
    found = [book.title for book in search_books(db.session, "samovarnaya").books]
    assert found == ["Samovarnaya Nights"]
    db.session.rollback()
    assert search_books(db.session, "samovarnaya", correct=False).total == 0


@pytest.mark.parametrize("database", ["postgres"], indirect=True)  # PostgreSQL's plan cache
@pytest.mark.parametrize("query", ["murder", "samovar", "smovar"])
def test_a_search_leaves_the_plan_cache_mode_for_the_cards_as_it_found_it(
    catalog, monkeypatch, query
):
    monkeypatch.setattr(search, "MAX_RESULTS", 5)
    for page in (1, 2):
        search_books(db.session, query, page)
        settings = db.session.execute(
            text("SELECT current_setting('plan_cache_mode'), current_setting('enable_seqscan')")
        ).one()
        # Still in the search's transaction: seq scans stay off, the plan cache is back (a
        # search whose words no book has counts nothing and leaves it: it shows no cards).
        assert tuple(settings) == ("auto", "off")
        db.session.commit()
