"""Search for readers of Russian books: Cyrillic and Latin find each other, ё is е, and a clear
misspelling is corrected at once. Every database test runs on SQLite and on PostgreSQL."""

import pytest
from sqlalchemy import select, update

from bookstore.catalog import search
from bookstore.catalog.models import Book, Contributor, Series
from bookstore.catalog.search import search_books
from bookstore.catalog.transliteration import latin_spellings, search_aliases, spellings
from bookstore.extensions import db
from bookstore.staff.catalog_import import apply_import, plan_import
from bookstore.staff.csv_format import read_catalog_csv
from tests.factories import make_book


@pytest.fixture(autouse=True)
def _fresh_vocabulary():
    """Each test's catalog is new: the did-you-mean word list must not come from another."""
    search._vocabulary_cache.clear()


def titles(query: str, **kwargs) -> list[str]:
    return [book.title for book in search_books(db.session, query, **kwargs).books]


# --- the transliteration itself (no database) -------------------------------------------------


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Чехов", "chekhov"),
        ("дача", "dacha"),
        ("Золотой", "zolotoy"),
        ("Золотой", "zolotoi"),
        ("телёнок", "telyonok"),
        ("телёнок", "telenok"),
        ("Достоевский", "dostoevsky"),
        ("Достоевский", "dostoyevsky"),
        ("Горбунок", "gorbunok"),
    ],
)
def test_cyrillic_words_get_the_common_latin_spellings(cyrillic, latin):
    assert latin in latin_spellings(cyrillic)


def test_latin_words_get_no_aliases():
    assert search_aliases("Murder at the Dacha", "") == ""
    assert latin_spellings("dacha") == []


def test_aliases_hold_e_for_yo_and_no_marks():
    aliases = search_aliases("Конёк-Горбунок", "Ильф").split()
    assert "конек" in aliases
    assert "ilf" in aliases
    assert not any("'" in a or "\u2019" in a for a in aliases)


def test_a_query_word_is_looked_for_in_each_spelling():
    assert spellings("Чехов") == ["чехов", "chekhov"]
    assert spellings("телёнок")[0] == "теленок"
    assert spellings("murder") == ["murder"]


# --- both scripts, both ways, on both databases -------------------------------------------------


@pytest.fixture
def russian_shelf(app_ctx):
    make_book("Murder at the Dacha", authors=("Alexei Bayer",))
    make_book("A Taste of Chekhov", authors=("Anton Chekhov",))
    make_book(
        "The Little Golden Calf",
        original_title="Золотой телёнок",
        authors=("Ilya Ilf", "Evgeny Petrov"),
    )
    make_book("Конёк-Горбунок", authors=("Пётр Ершов",), series=("Русские сказки", 1))
    make_book("Anna Karenina", authors=("Leo Tolstoy",))


@pytest.mark.usefixtures("russian_shelf")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Чехов", ["A Taste of Chekhov"]),  # Cyrillic finds a Latin title and author
        ("чех", ["A Taste of Chekhov"]),  # the start of a Cyrillic word is enough
        ("дача", ["Murder at the Dacha"]),
        ("Толстой", ["Anna Karenina"]),
        ("Zolotoy telyonok", ["The Little Golden Calf"]),  # Latin finds the original title
        ("zolotoi telenok", ["The Little Golden Calf"]),
        ("Золотой телёнок", ["The Little Golden Calf"]),
        ("золотой теленок", ["The Little Golden Calf"]),  # е for ё in the query
        ("Конек", ["Конёк-Горбунок"]),  # е finds ё in a Cyrillic title
        ("КОНЁК", ["Конёк-Горбунок"]),
        ("konyok gorbunok", ["Конёк-Горбунок"]),  # Latin finds a Cyrillic title
        ("Yershov", ["Конёк-Горбунок"]),  # ... and a Cyrillic name
        ("Ершов", ["Конёк-Горбунок"]),
        ("Пётр Ершов", ["Конёк-Горбунок"]),
        ("Петр Ершов", ["Конёк-Горбунок"]),
        ("russkiye skazki", ["Конёк-Горбунок"]),  # ... and a Cyrillic series
        ("Ильф Петров", ["The Little Golden Calf"]),
    ],
)
def test_either_script_finds_the_other(query, expected):
    assert titles(query) == expected


def test_a_first_name_in_cyrillic_is_also_the_start_of_latin_names(russian_shelf):
    # "Пётр" is spelled Pyotr and Petr; "petr" is also how "Petrov" begins.
    assert set(titles("Пётр")) == {"Конёк-Горбунок", "The Little Golden Calf"}


def test_a_cyrillic_original_title_counts_as_a_title_match(russian_shelf):
    make_book("Stories", description="Includes a chapter on the zolotoy age of the calf trade.")
    found = titles("zolotoy")
    assert found[0] == "The Little Golden Calf"


def test_renamed_people_and_series_are_found_in_the_other_script(russian_shelf):
    person = db.session.scalar(select(Contributor).where(Contributor.name == "Пётр Ершов"))
    person.name = "Пётр Павлович Ершов"
    series = db.session.scalar(select(Series).where(Series.name == "Русские сказки"))
    series.name = "Сказки"
    db.session.flush()
    assert titles("pavlovich") == ["Конёк-Горбунок"]
    assert titles("skazki") == ["Конёк-Горбунок"]
    assert titles("russkiye skazki") == []


def test_a_retitled_book_keeps_its_aliases_current(russian_shelf):
    book = db.session.scalar(select(Book).where(Book.title == "The Little Golden Calf"))
    book.original_title = "Двенадцать стульев"
    db.session.flush()
    assert titles("dvenadtsat stulyev") == ["The Little Golden Calf"]
    assert titles("telyonok") == []


def test_aliases_written_outside_the_orm_reach_the_index(app_ctx):
    book = make_book("Untitled")
    db.session.execute(
        update(Book.__table__)
        .where(Book.__table__.c.id == book.id)
        .values(search_aliases=search_aliases("Мастер и Маргарита"))
    )
    assert titles("master margarita") == ["Untitled"]


# --- spelling: a clear correction is shown at once ------------------------------------------------


def test_a_clear_misspelling_shows_the_corrected_books_at_once(app_ctx):
    make_book("Murder at the Dacha", subjects=("Mystery",))
    results = search_books(db.session, "murdr")
    assert results.corrected == "murder"
    assert [b.title for b in results.books] == ["Murder at the Dacha"]
    assert results.did_you_mean is None


def test_the_original_spelling_can_still_be_searched(app_ctx):
    make_book("Murder at the Dacha")
    results = search_books(db.session, "murdr", correct=False)
    assert results.books == []
    assert results.corrected is None
    assert results.did_you_mean == "murder"


def test_an_ambiguous_misspelling_is_only_suggested(app_ctx):
    make_book("The Samovar")
    make_book("The Samovan")
    results = search_books(db.session, "samova")
    assert results.total == 2  # a prefix, not a misspelling
    results = search_books(db.session, "samovaz")
    assert results.corrected is None
    assert results.books == []
    assert results.did_you_mean in {"samovar", "samovan"}


def test_the_results_page_says_what_it_corrected(client, app):
    with app.app_context():
        make_book("Murder at the Dacha")
        db.session.commit()
    page = client.get("/search?q=murdr").get_data(as_text=True)
    assert "Showing results for" in page
    assert "Murder at the Dacha" in page
    assert "/search?q=murdr&amp;exact=1" in page
    exact = client.get("/search?q=murdr&exact=1").get_data(as_text=True)
    assert "Murder at the Dacha" not in exact
    assert "Did you mean" in exact


def test_the_results_page_finds_chekhov_by_cyrillic(client, app):
    with app.app_context():
        make_book("A Taste of Chekhov", authors=("Anton Chekhov",))
        db.session.commit()
    page = client.get("/search", query_string={"q": "Чехов"}).get_data(as_text=True)
    assert "A Taste of Chekhov" in page


def test_books_from_a_csv_import_are_found_in_either_script(app_ctx):
    csv = (
        "isbn13,title,format,price,authors,series\n"
        "9781880100011,Мастер и Маргарита,paperback,20.00,Михаил Булгаков,Русская классика\n"
    )
    plan = plan_import(read_catalog_csv(csv))
    apply_import(plan, actor=None)
    assert titles("master margarita") == ["Мастер и Маргарита"]
    assert titles("bulgakov") == ["Мастер и Маргарита"]
    assert titles("russkaya klassika") == ["Мастер и Маргарита"]


def test_a_plural_in_the_catalog_does_not_make_a_correction_unclear(app_ctx):
    make_book("Murder at the Dacha")
    make_book("The Latchkey Murders")
    results = search_books(db.session, "murdr")
    assert results.corrected == "murder"
    assert sorted(b.title for b in results.books) == ["Murder at the Dacha", "The Latchkey Murders"]
