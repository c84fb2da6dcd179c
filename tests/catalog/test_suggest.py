"""Suggestions as you type: titles, people and series from the search index, in either script;
a small cacheable JSON answer with a rate limit. On SQLite and PostgreSQL."""

import pytest

from bookstore.catalog.suggest import suggest
from bookstore.extensions import db
from tests.factories import make_book


@pytest.fixture
def shelf(app_ctx):
    make_book("A Taste of Chekhov", authors=("Anton Chekhov",))
    make_book("Chekhov Bilingual", authors=("Anton Chekhov",))
    make_book("Murder at the Dacha", authors=("Alexei Bayer",), series=("Matyushkin Mysteries", 2))
    make_book("The Latchkey Murders", authors=("Alexei Bayer",), series=("Matyushkin Mysteries", 1))
    make_book("The Little Golden Calf", original_title="Золотой телёнок", authors=("Ilya Ilf",))
    make_book("Конёк-Горбунок", authors=("Пётр Ершов",))


def kinds(query: str) -> list[tuple[str, str]]:
    return [(s.kind, s.label) for s in suggest(db.session, query)]


@pytest.mark.usefixtures("shelf")
def test_titles_people_and_series_are_suggested_from_the_start_of_a_word():
    found = kinds("chek")
    assert ("person", "Anton Chekhov") in found
    assert {label for kind, label in found if kind == "title"} == {
        "A Taste of Chekhov",
        "Chekhov Bilingual",
    }
    assert ("series", "Matyushkin Mysteries") in kinds("matyu")
    assert ("person", "Alexei Bayer") in kinds("baye")


@pytest.mark.usefixtures("shelf")
def test_suggestions_work_in_either_script():
    assert ("person", "Anton Chekhov") in kinds("Чех")
    assert ("title", "The Little Golden Calf") in kinds("zolotoy tel")
    assert ("title", "The Little Golden Calf") in kinds("золотой телё")
    assert ("person", "Пётр Ершов") in kinds("yersh")
    assert ("title", "Конёк-Горбунок") in kinds("конек")


@pytest.mark.usefixtures("shelf")
def test_every_word_must_match_and_nothing_is_said_too_early():
    assert kinds("chekhov murder") == []
    assert kinds("c") == []
    assert kinds("") == []
    assert kinds("!!") == []


def test_the_endpoint_answers_json_that_caches_may_keep(client, app):
    with app.app_context():
        make_book("A Taste of Chekhov", authors=("Anton Chekhov",))
        db.session.commit()
    response = client.get("/search/suggest", query_string={"q": "Чехов"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=300" in response.headers["Cache-Control"]
    items = response.get_json()["suggestions"]
    assert {
        "kind": "person",
        "label": "Anton Chekhov",
        "detail": "",
        "url": "/authors/anton-chekhov",
    } in items
    assert any(i["kind"] == "title" and i["url"].startswith("/books/") for i in items)


def test_hostile_input_gets_an_empty_answer_not_an_error(client):
    for q in ['"', "'; DROP TABLE books; --", "NEAR(a b)", "a:*", "x" * 5000, "\u200b"]:
        response = client.get("/search/suggest", query_string={"q": q})
        assert response.status_code == 200
        assert response.get_json()["suggestions"] == []


def test_the_endpoint_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, SUGGEST_RATELIMIT="3/minute")
    client = app.test_client()
    codes = [client.get("/search/suggest?q=che").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
