"""Search on SQLite asks FTS5 for the index's words a typed prefix starts, kept per process
(``catalog.search_words``): the answers must be those of the prefix query, and stay current.
"""

import pytest

from bookstore.catalog import search, search_words
from bookstore.catalog.search import Matcher, search_books
from bookstore.extensions import db
from tests.factories import make_book


def ids(query: str, page: int = 1) -> list[int]:
    return list(search_books(db.session, query, page).books.ids)


def test_a_prefix_finds_a_word_added_after_it_was_looked_up(app_ctx):
    make_book("The Samovar")
    db.session.commit()
    assert [b.title for b in search_books(db.session, "samov").books] == ["The Samovar"]
    if db.engine.dialect.name == "sqlite":  # the word itself was asked for
        assert '"samovar"' in Matcher(db.session, ("samov",)).match["all"]
    make_book("Samovarnaya Tales")
    db.session.commit()
    found = [b.title for b in search_books(db.session, "samov").books]
    assert sorted(found) == ["Samovarnaya Tales", "The Samovar"]


def test_an_open_write_transaction_finds_its_own_new_words(app_ctx):
    make_book("The Samovar")
    db.session.commit()
    assert len(ids("samov")) == 1
    make_book("Samovarka")  # flushed, not committed
    assert len(ids("samov")) == 2
    db.session.rollback()
    assert len(ids("samov")) == 1


@pytest.mark.parametrize(
    "query", ["samov", "samovar", "dacha murd", "murd", "petro", "ночь", "nochi", "zzzz", "sam"]
)
def test_the_index_words_give_the_answers_of_the_prefix_query(app_ctx, monkeypatch, query):
    for n in range(30):
        make_book(
            ("Murder at the Dacha", "The Samovar", "Samovarnaya", "Ночь", "Nochi")[n % 5] + f" {n}",
            authors=(("Ivan Petrov", "Petrova", "Samovarov")[n % 3],),
        )
    db.session.commit()
    for page in (1, 2):
        with_words = ids(query, page)
        with monkeypatch.context() as patch:
            patch.setattr(search_words, "index_words", lambda connection, spellings: None)
            assert ids(query, page) == with_words


def test_the_kept_words_are_looked_up_again_when_the_index_changed(app_ctx):
    make_book("The Samovar")
    db.session.commit()
    matcher = Matcher(db.session, ("samov",))
    assert matcher.count() == 1
    make_book("Samovarnaya")
    db.session.commit()
    # A matcher built from the words kept before the change counts afresh.
    stale = Matcher.__new__(Matcher)
    stale.__dict__.update(matcher.__dict__)
    assert stale.count() == 2
    if db.engine.dialect.name == "sqlite":
        assert '"samovarnaya"' in stale.match["all"]
    assert search.count_matches(db.session, ("samov",)) == 2


# --- words in no title: no title query ----------------------------------------------------------


def titles(query: str, page: int = 1) -> list[str]:
    return [book.title for book in search_books(db.session, query, page).books]


@pytest.fixture
def title_queries(monkeypatch):
    """The title-only queries that searches run (their FTS5 match texts)."""
    run: list[str] = []
    rows = search.Statements.rows

    def note(statements, sql, params, **kwargs):
        if str(params.get("m", "")).startswith("title :"):
            run.append(params["m"])
        return rows(statements, sql, params, **kwargs)

    monkeypatch.setattr(search.Statements, "rows", note)
    return run


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # FTS5's title queries
def test_a_word_in_no_title_runs_no_title_query_once_known(app_ctx, title_queries):
    make_book("Winter Tales", description="A troika in the snow.")
    make_book("The Troika", description="Three horses.")
    make_book("Summer Tales", description="Heat.")
    db.session.commit()
    assert titles("tales snow") == ["Winter Tales"]
    title_queries.clear()
    assert titles("tales snow") == ["Winter Tales"]
    assert titles("snow") == ["Winter Tales"]
    assert title_queries == []  # "snow" is in no title: no book is in the title tier
    assert titles("troika") == ["The Troika", "Winter Tales"]  # title first, then the others
    assert title_queries != []


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_word_that_comes_to_a_title_puts_its_book_first(app_ctx, title_queries, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 1)  # more match: the first book, newest first
    older = make_book("Summer Tales", description="Snow in June.")
    make_book("Winter Tales", description="A troika in the snow.")
    db.session.commit()
    assert titles("snow") == ["Winter Tales"]
    older.title = "Summer Snow"
    db.session.commit()
    assert titles("snow") == ["Summer Snow"]  # the title tier comes first


@pytest.mark.parametrize(
    "query", ["snow", "tales snow", "tales", "tales winter", "troika three", "sno", "zzzz"]
)
def test_title_words_kept_give_the_answers_of_the_title_query(app_ctx, monkeypatch, query):
    for n in range(30):
        make_book(
            ("Winter Tales", "The Troika", "Snow Tales")[n % 3] + f" {n}",
            description=("A troika in the snow.", "Three horses.", "Tales")[n % 2],
        )
    db.session.commit()
    monkeypatch.setattr(search, "MAX_RESULTS", 12)  # broad queries too: newest first
    for page in (1, 2, 1):
        with_facts = ids(query, page)
        with monkeypatch.context() as patch:
            patch.setattr(search_words, "in_titles", lambda *args: None)
            assert ids(query, page) == with_facts
