"""Full-text search: what it finds, in which order, and that no query can break the page.

Every database test runs on SQLite (FTS5) and on PostgreSQL (tsvector + GIN).
"""

import pytest
from sqlalchemy import delete, select, text

from bookstore.catalog import search
from bookstore.catalog.isbn import hyphenate_isbn13
from bookstore.catalog.models import BookContributor, Contributor, Edition, Format, Series
from bookstore.catalog.search import (
    MAX_QUERY_LENGTH,
    MAX_TERMS,
    PAGE_SIZE,
    did_you_mean,
    parse_query,
    search_books,
)
from bookstore.catalog.search_index import rebuild_search_index
from bookstore.extensions import db
from tests.factories import make_book, next_isbn


def titles(query: str, page: int = 1) -> list[str]:
    return [book.title for book in search_books(db.session, query, page).books]


# --- parsing the user's text (no database) ----------------------------------------------------


def test_query_keeps_only_words_of_letters_and_digits():
    query = parse_query('  Murder\'s "at" the DACHA!!! (OR 1=1) -- NEAR( * % ')
    assert query.terms == ("murder", "s", "at", "the", "dacha", "or", "1", "near")


def test_query_drops_control_characters_and_nul_bytes():
    query = parse_query("da\x00cha\x07 \x1b[31mred\u200b")
    assert "\x00" not in query.text
    assert "\x1b" not in query.text
    assert query.terms == ("da", "cha", "31mred")


def test_very_long_query_is_cut_to_a_sane_length():
    query = parse_query("word " * 2_000)
    assert len(query.text) <= MAX_QUERY_LENGTH
    assert query.terms == ("word",)
    many = parse_query(" ".join(f"w{i}" for i in range(100)))
    assert len(many.terms) == MAX_TERMS


def test_hyphenated_isbn_is_read_as_one_number():
    query = parse_query("978-1-880100-81-3")
    assert query.isbn == "9781880100813"
    assert query.terms == ("9781880100813",)


def test_isbn_10_is_converted_to_isbn_13():
    assert parse_query("1-880100-81-9").isbn == "9781880100813"


def test_words_are_not_taken_for_an_isbn():
    assert parse_query("dacha 1880").isbn is None
    assert parse_query("9781880100814").isbn is None  # wrong check digit


# --- what search finds ------------------------------------------------------------------------


def test_start_of_a_word_finds_the_book(app_ctx):
    make_book("Murder at the Dacha")
    make_book("The Samovar")
    assert titles("dach") == ["Murder at the Dacha"]


def test_search_ignores_case_and_accents(app_ctx):
    make_book("Murder at the Dacha", authors=("Ívan Pétrov",))
    assert titles("DACHA") == ["Murder at the Dacha"]
    assert titles("dácha") == ["Murder at the Dacha"]
    assert titles("ivan petrov") == ["Murder at the Dacha"]


def test_cyrillic_titles_and_names_are_found(app_ctx):
    make_book("Война и мир", authors=("Лев Толстой",), original_title="War and Peace")
    make_book("Anna Karenina")
    assert titles("война") == ["Война и мир"]
    assert titles("ТОЛСТ") == ["Война и мир"]
    assert titles("war peace") == ["Война и мир"]


def test_subtitle_contributors_series_and_description_are_searched(app_ctx):
    make_book("One", subtitle="A Novel of Leningrad")
    make_book("Two", authors=("Masha Gessen",))
    make_book("Three", series=("Moscow Nights Quartet", 1))
    make_book("Four", description="Set among the birch forests near Tver.")
    assert titles("leningrad") == ["One"]
    assert titles("gessen") == ["Two"]
    assert titles("quartet") == ["Three"]
    assert titles("tver") == ["Four"]


def test_every_word_must_match(app_ctx):
    make_book("Murder at the Dacha")
    make_book("Murder in Moscow")
    assert titles("murder dacha") == ["Murder at the Dacha"]
    assert sorted(titles("murder")) == ["Murder at the Dacha", "Murder in Moscow"]


def test_title_matches_come_before_other_matches(app_ctx):
    make_book(
        "A Summer Anthology",
        description="The dacha, the dacha, the dacha: every story here is set at a dacha.",
        subtitle="Stories from the Dacha",
    )
    make_book("Dacha Days", description="Gardens.")
    make_book("Fiction", authors=("Pavel Dachev",))
    found = titles("dacha")
    assert found[0] == "Dacha Days"
    assert set(found) == {"A Summer Anthology", "Dacha Days"}


def test_isbn_finds_exactly_that_book_with_or_without_hyphens(app_ctx):
    wanted = make_book("Wanted")
    make_book("Other")
    isbn = wanted.editions[0].isbn13
    for query in (isbn, hyphenate_isbn13(isbn), " ".join(isbn)):
        results = search_books(db.session, query)
        assert [b.title for b in results.books] == ["Wanted"], query
        assert results.isbn_match


def test_start_of_an_isbn_finds_the_book(app_ctx):
    wanted = make_book("Wanted")
    assert titles(wanted.editions[0].isbn13[:10]) == ["Wanted"]


def test_results_come_in_pages(app_ctx):
    for n in range(PAGE_SIZE + 3):
        make_book(f"Samovar Tales {n}")
    first = search_books(db.session, "samovar")
    second = search_books(db.session, "samovar", page=2)
    assert (first.total, first.pages, len(first.books)) == (PAGE_SIZE + 3, 2, PAGE_SIZE)
    assert len(second.books) == 3
    assert not {b.id for b in first.books} & {b.id for b in second.books}
    assert search_books(db.session, "samovar", page=99).page == 2


def test_pages_run_on_from_title_matches_to_the_others(app_ctx):
    for n in range(PAGE_SIZE):
        make_book(f"Essays {n}", description="Written at the dacha.")
    for n in range(3):
        make_book(f"Dacha Notes {n}")
    first = search_books(db.session, "dacha")
    second = search_books(db.session, "dacha", page=2)
    assert first.total == PAGE_SIZE + 3
    assert [b.title for b in first.books[:3]] == ["Dacha Notes 2", "Dacha Notes 1", "Dacha Notes 0"]
    seen = [b.title for b in [*first.books, *second.books]]
    assert len(seen) == len(set(seen)) == PAGE_SIZE + 3


def test_title_matches_that_run_onto_the_second_page_are_followed_by_the_others(app_ctx):
    for n in range(PAGE_SIZE + 6):
        make_book(f"Dacha Notes {n}")
    for n in range(5):
        make_book(f"Essays {n}", description="Written at the dacha.")
    second = search_books(db.session, "dacha", page=2)
    titles_seen = [b.title for b in second.books]
    assert len(titles_seen) == 11
    assert all(t.startswith("Dacha Notes") for t in titles_seen[:6])
    assert sorted(titles_seen[6:]) == [f"Essays {n}" for n in range(5)]


def test_very_broad_queries_are_counted_up_to_a_cap_newest_first(app_ctx, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 4)
    for n in range(6):
        make_book(f"Samovar {n}")
    results = search_books(db.session, "samovar")
    assert results.total_capped
    assert results.total == 4
    assert [b.title for b in results.books] == [f"Samovar {n}" for n in (5, 4, 3, 2)]


def test_no_results_suggest_a_spelling_that_finds_books(app_ctx):
    search._vocabulary_cache.clear()
    make_book("Murder at the Dacha", subjects=("Mystery",))
    results = search_books(db.session, "mudrer", correct=False)
    assert results.total == 0
    assert results.did_you_mean == "murder"
    assert [s.name for s in results.subjects] == ["Mystery"]


# --- the index follows every change -----------------------------------------------------------


def test_renamed_book_is_found_by_its_new_title_only(app_ctx):
    book = make_book("Old Title", description="Renamed.")
    book.title = "Fresh Name"
    db.session.flush()
    assert titles("fresh") == ["Fresh Name"]
    assert titles("old") == []


def test_new_edition_isbn_is_searchable_and_a_removed_one_is_not(app_ctx):
    book = make_book("Kept")
    isbn = next_isbn()
    book.editions.append(Edition(format=Format.EBOOK, isbn13=isbn, price_cents=900))
    db.session.flush()
    assert titles(isbn) == ["Kept"]
    db.session.execute(delete(Edition).where(Edition.isbn13 == isbn))
    assert titles(isbn) == []


def test_renamed_contributor_and_removed_credit_are_followed(app_ctx):
    make_book("Kept", authors=("Anna Akhmatova",))
    person = db.session.scalars(select(Contributor)).one()
    person.name = "Marina Tsvetaeva"
    db.session.flush()
    assert titles("tsvetaeva") == ["Kept"]
    assert titles("akhmatova") == []
    db.session.execute(delete(BookContributor))
    assert titles("tsvetaeva") == []


def test_renamed_and_deleted_series_are_followed(app_ctx):
    make_book("Kept", series=("Volga Trilogy", 1))
    series = db.session.scalars(select(Series)).one()
    series.name = "Neva Cycle"
    db.session.flush()
    assert titles("neva") == ["Kept"]
    db.session.delete(series)
    db.session.flush()
    db.session.expire_all()
    assert titles("neva") == []
    assert titles("kept") == ["Kept"]


def test_deleted_book_leaves_the_index(app_ctx):
    book = make_book("Gone Soon")
    db.session.delete(book)
    db.session.flush()
    assert titles("gone") == []
    assert db.session.execute(text("SELECT count(*) FROM book_search")).scalar_one() == 0


def test_rebuilding_the_index_gives_the_same_answers(app_ctx):
    make_book("Murder at the Dacha")
    rebuild_search_index(db.session.connection())
    assert titles("dach") == ["Murder at the Dacha"]


# --- the page ---------------------------------------------------------------------------------


def test_search_page_shows_matching_books_as_cards(client, app):
    with app.app_context():
        make_book("Murder at the Dacha", authors=("Alexander Rodionov",))
        make_book("The Samovar")
        db.session.commit()
    response = client.get("/search?q=dach")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Murder at the Dacha" in page
    assert "The Samovar" not in page
    assert "/books/murder-at-the-dacha" in page
    assert response.headers["X-Robots-Tag"] == "noindex, follow"


def test_empty_search_explains_what_to_type(client):
    response = client.get("/search")
    assert response.status_code == 200
    assert "Search by title, author" in response.get_data(as_text=True)


def test_no_results_page_offers_a_way_on(client, app):
    search._vocabulary_cache.clear()
    with app.app_context():
        make_book("Murder at the Dacha", subjects=("Mystery",))
        db.session.commit()
    # exact=1: the spelling as typed (without it the clear correction is shown at once).
    page = client.get("/search?q=mudrer&exact=1").get_data(as_text=True)
    assert "No books match “mudrer”" in page
    assert 'href="/search?q=murder"' in page
    assert 'href="/subjects/mystery"' in page
    assert 'href="/books"' in page


def test_no_results_page_offers_a_subject_added_since_the_last_one(client, app):
    with app.app_context():
        make_book("Murder at the Dacha", subjects=("Mystery",))
        db.session.commit()
    assert 'href="/subjects/mystery"' in client.get("/search?q=zzzz").get_data(as_text=True)
    with app.app_context():
        make_book("Chess Problems", subjects=("Chess",))
        db.session.commit()
    # Another query (not the cached page): the subjects kept by the worker are read again.
    page = client.get("/search?q=qqqq").get_data(as_text=True)
    assert page.index('href="/subjects/chess"') < page.index('href="/subjects/mystery"')


def test_a_clear_correction_is_counted_once(app_ctx, monkeypatch):
    search._vocabulary_cache.clear()
    make_book("Murder at the Dacha")
    counted: list[tuple[str, ...]] = []
    count = search.Matcher.count

    def note(matcher, *args, **kwargs):
        counted.append(matcher.match["all"])
        return count(matcher, *args, **kwargs)

    monkeypatch.setattr(search.Matcher, "count", note)
    results = search_books(db.session, "mudrer")
    assert results.corrected == "murder"
    assert [book.title for book in results.books] == ["Murder at the Dacha"]
    assert len(counted) == 2  # what was typed, then the correction: once each


def test_the_same_misspelling_gets_the_same_suggestion_again(app_ctx):
    search._vocabulary_cache.clear()
    make_book("Murder at the Dacha")
    make_book("Samovar Nights")
    first = [search_books(db.session, q, correct=False).did_you_mean for q in ("mudrer", "samovr")]
    again = [search_books(db.session, q, correct=False).did_you_mean for q in ("mudrer", "samovr")]
    assert first == again == ["murder", "samovar"]


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999999999999999999", ""])
def test_bad_page_numbers_still_give_a_page(client, page):
    assert client.get(f"/search?q=dacha&page={page}").status_code == 200


HOSTILE_QUERIES = [
    "'",
    '"',
    "%",
    "%%",
    "_",
    "\\",
    "OR 1=1",
    "' OR '1'='1",
    "'; DROP TABLE books; --",
    "NEAR(",
    "NEAR(a b",
    "title:dacha",
    "{title}: x",
    "*",
    "dacha*",
    "-",
    "-dacha",
    "^dacha",
    "a AND OR NOT",
    "!&|():*",
    "x:*A",
    "<script>alert(1)</script>",
    "\u202edacha",
    "\U0001f4da books",
    "a" * 10_000,
    "dacha " * 2_000,
    " ",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_get_a_normal_page(client, app, query):
    with app.app_context():
        make_book("Murder at the Dacha")
        db.session.commit()
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page
    main = page[page.index("<main") : page.index("</main>")]
    assert "\x00" not in main


# Control characters and broken encodings are refused before the search sees them
# (bookstore/edge.py): a 400 that says why, never a 500.
@pytest.mark.parametrize("query", ["\x00", "dacha\x00dacha", "\x01\x02\x1b\x7f"])
def test_queries_with_control_characters_are_refused_with_a_message(client, query):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 400
    assert "cannot read" in response.get_data(as_text=True)


def test_undecodable_query_string_is_refused_with_a_message(client):
    response = client.get("/search?q=%FF%FE%00")
    assert response.status_code == 400
    assert "cannot read" in response.get_data(as_text=True)


def test_a_test_catalog_emptied_takes_searchs_kept_words_with_it(app):
    """Search keeps its did-you-mean words for minutes; the fixtures forget them when they
    empty the catalog (``tests/fixtures/database.forget_search_caches``), so each test's
    corrections come from its own books."""
    from tests.fixtures.database import empty_all_tables

    with app.app_context():
        make_book("Winter Light Grows")
        db.session.commit()
        assert did_you_mean(db.session, parse_query("wintr")) == "winter"
        empty_all_tables()
        make_book("Murder at the Dacha")
        db.session.commit()
        assert did_you_mean(db.session, parse_query("dacah")) == "dacha"
