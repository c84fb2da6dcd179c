"""Search's shortcuts give the answers of the plain queries.

The index's words in place of a prefix match (PostgreSQL), the count that stops among the newest
books, newest-first walks sized by a guess, and capped counts. Every test runs on SQLite and on
PostgreSQL; the shortcuts are PostgreSQL's, so SQLite checks that the answers agree.
"""

import pytest

from bookstore.catalog import search
from bookstore.catalog.search import search_books
from bookstore.catalog.suggest import suggest
from bookstore.extensions import db
from tests.factories import make_book


def titles(query: str, page: int = 1) -> list[str]:
    return [book.title for book in search_books(db.session, query, page).books]


def test_a_prefix_finds_every_word_it_starts(app_ctx):
    make_book("Family Matters")
    make_book("Familiar Strangers")
    make_book("Famine Years")
    make_book("Other Stories", description="A famille of exiles.")
    assert sorted(titles("famil")) == ["Familiar Strangers", "Family Matters", "Other Stories"]
    assert titles("family") == ["Family Matters"]


def test_an_accented_prefix_finds_the_unaccented_words(app_ctx):
    make_book("Café Pushkin")
    assert titles("café") == ["Café Pushkin"]
    assert titles("caf") == ["Café Pushkin"]
    assert titles("cafe") == ["Café Pushkin"]


def test_words_of_a_new_or_renamed_book_are_found_at_once(app_ctx):
    book = make_book("Zyxwvut Tales")
    assert titles("zyxw") == ["Zyxwvut Tales"]
    book.title = "Qwertyuiop Nights"
    db.session.flush()
    assert titles("qwert") == ["Qwertyuiop Nights"]


def test_a_prefix_of_an_address_or_a_hyphenated_word_still_matches(app_ctx):
    # PostgreSQL keeps "ivanov@example.com" as one word: the prefix match itself finds it.
    make_book("Letters", description="Write to ivanov@example.com about the well-known samizdat.")
    assert titles("ivanov") == ["Letters"]
    assert titles("well") == ["Letters"]
    assert titles("known") == ["Letters"]


def test_a_prefix_that_starts_many_words_keeps_the_prefix_match(app_ctx, monkeypatch):
    monkeypatch.setattr(search, "EXPAND_AT_MOST", 1)
    make_book("Family Matters")
    make_book("Familiar Strangers")
    assert sorted(titles("famil")) == ["Familiar Strangers", "Family Matters"]


def test_a_word_no_book_starts_finds_nothing_at_once(app_ctx):
    make_book("Family Matters")
    results = search_books(db.session, "family qqqzzz", correct=False)
    assert (results.total, results.books) == (0, [])
    assert suggest(db.session, "qqqzzz") == []
    assert [s.label for s in suggest(db.session, "fami")] == ["Family Matters"]


@pytest.mark.parametrize("walk", [1, 3, 50])
def test_a_broad_query_pages_title_matches_then_the_others_newest_first(app_ctx, monkeypatch, walk):
    """Whether the count stops among the newest books (walk 50) or asks the index (1, 3)."""
    monkeypatch.setattr(search, "MAX_RESULTS", 5)
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    monkeypatch.setattr(search, "COUNT_WALK", walk)
    for n in range(6):
        make_book(f"Tea {n}", description="Brewed in a samovar.")
        if n in (1, 4):
            make_book(f"Samovar {n}")
    pages = [search_books(db.session, "samovar", page) for page in (1, 2, 3)]
    assert all(p.total_capped and p.total == 5 and p.pages == 3 for p in pages)
    assert [[b.title for b in p.books] for p in pages] == [
        ["Samovar 4", "Samovar 1"],
        ["Tea 5", "Tea 4"],
        ["Tea 3"],
    ]
    assert [b.title for b in search_books(db.session, "samovar", 99).books] == ["Tea 3"]


def test_a_capped_count_is_shown_with_a_plus(client, app, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 4)
    with app.app_context():
        for n in range(6):
            make_book(f"Samovar {n}")
        db.session.commit()
    page = client.get("/search?q=samovar").get_data(as_text=True)
    assert "4+ books match" in page
    assert "Add a word to narrow them down." in page
    assert "Samovar 5" in page
    assert "Samovar 1" not in page


@pytest.mark.parametrize("floor", ["none", "all", "too_high"])
def test_newest_first_pages_agree_however_the_index_is_asked(app_ctx, monkeypatch, floor):
    """PostgreSQL asks the index for the newest ids first when the count's density says the
    page lies there; a guess too high falls back to all the matches."""
    monkeypatch.setattr(search, "MAX_RESULTS", 5)
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    monkeypatch.setattr(search.Matcher, "_newest_window", lambda self, tier, end: 0)
    floors = {"none": lambda m: 0, "all": lambda m: 1, "too_high": lambda m: m.books - 1}
    monkeypatch.setattr(
        search.Matcher, "_newest_floor", lambda self, tier, end: floors[floor](self)
    )
    for n in range(6):
        make_book(f"Tea {n}", description="Brewed in a samovar.")
        if n in (1, 4):
            make_book(f"Samovar {n}")
    pages = [[b.title for b in search_books(db.session, "samovar", p).books] for p in (1, 2, 3)]
    assert pages == [["Samovar 4", "Samovar 1"], ["Tea 5", "Tea 4"], ["Tea 3"]]


def _walk(shares: dict[str, float], groups: list[list[str]], catalog: float) -> int:
    """The count's walk for these words, by these statistics, in a catalog of this size."""
    matcher = object.__new__(search.Matcher)
    matcher.guess = search._guess_density(shares, groups)
    matcher.rarest = search._rarest_share(shares, groups)
    matcher.catalog = catalog
    return matcher._count_walk()


def test_the_count_walks_on_while_that_costs_less_than_the_index():
    """At 1,000,000 books, "first daily" (each word in about a quarter of the books, guessed at
    11% together, 4.3% in fact): the walk goes as far as the index's postings of the rarer
    word would cost (COUNT_WALK_MAX at most), not only as far as the guess needs."""
    shares = {"first": 0.2459, "daily": 0.2302, "moscow": 0.06, "last": 0.3352, "rare": 0.001}
    both = [["first"], ["daily"]]
    assert _walk(shares, both, 100_000) == 5_805  # the guess's walk: the index costs as much
    assert _walk(shares, both, 1_000_000) == search.COUNT_WALK_MAX
    # Guessed at 3.5%: 501 matches within 18,848 books, longer than the index's 15,000.
    assert _walk(shares, [["moscow"], ["last"]], 1_000_000) == 18_848
    assert _walk(shares, [["moscow"], ["last"]], 200_000) == 0  # fewer matches than books walked
    assert _walk(shares, [["rare"], ["first"]], 1_000_000) == 0  # rarer than WALK_FROM
    assert _walk({}, both, 1_000_000) == search.COUNT_WALK  # no statistics: a short walk
    assert search._rarest_share({}, both) is None
    assert search._rarest_share(shares, [["fir:*"], ["last", "daily"]]) == 0.2459


def test_density_guesses():
    shares = {"the": 1.0, "finds": 0.2, "changes": 0.05}
    assert search._guess_density({}, [["the"]]) is None
    assert search._guess_density(shares, [["the"]]) == 1.0
    assert search._guess_density(shares, [["rare"]]) == 0.0
    assert search._guess_density(shares, [["fi:*"]]) == pytest.approx(0.2)
    # between independent (0.01) and always together (0.05)
    assert 0.01 < search._guess_density(shares, [["finds"], ["changes"]]) < 0.05
    # the newest books tell first, then the index's sample, then the statistics
    guesses = {"all": 0.5, "title": 0.25}
    assert search._densities((501, 2, 1000), (10, 5, 100), guesses) == {"all": 0.1, "title": 0.05}
    assert search._densities((501, 2, 1000), (0, 0, 0), guesses) == {"all": 0.501, "title": 0.25}
    assert search._densities((501, 2, 1000), (0, 0, 0), {}) == {"all": 0.501, "title": 0.002}
