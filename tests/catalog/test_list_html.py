"""The HTML around a list's cards (bookstore/catalog/list_html.py): the browse page's filter
form, the result count and the page links, with every value escaped."""

import re

import pytest
from flask import url_for

from bookstore.catalog import list_html
from bookstore.catalog.listing import BookPage, BrowseFilters
from bookstore.catalog.models import Format, Series, Subject
from bookstore.catalog.search import SearchResults, parse_query
from bookstore.extensions import db
from bookstore.links import external_url
from tests.factories import make_book

BOOK = object()  # what a count or a page link needs of a book: that it is there


def a_page(number=1, shown=24, total=100, capped=False, has_next=None, **filters) -> BookPage:
    if has_next is None:
        has_next = number * 24 < total
    return BookPage(
        books=[BOOK] * shown,
        page=number,
        page_size=24,
        has_next=has_next,
        total=total,
        total_capped=capped,
        filters=BrowseFilters(page=number, **filters),
    )


def links(html: str) -> dict[str, str]:
    """Page links by their text: {'Next': '/books?page=3', ...}."""
    found = re.findall(r'<a href="([^"]*)"(?: rel="\w+")?>(\w+)', html)
    return {text: href.replace("&amp;", "&") for href, text in found}


def current(html: str) -> str:
    return re.search(r'<span aria-current="page">([^<]*)</span>', html).group(1)


@pytest.fixture
def browsing(app):
    with app.test_request_context("/books"):
        yield


def test_a_list_of_one_page_has_no_page_links(browsing):
    assert list_html.pagination(a_page(1, shown=7, total=7)) == ""


def test_the_first_page_links_to_the_next_and_the_last(browsing):
    html = list_html.pagination(a_page(1, total=100))
    assert links(html) == {"Next": "/books?page=2", "Last": "/books?page=5"}
    assert current(html) == "Page 1 of 5"
    assert 'rel="next"' in html


def test_the_second_page_links_back_without_a_separate_first(browsing):
    html = list_html.pagination(a_page(2, total=100))
    assert links(html) == {"Previous": "/books", "Next": "/books?page=3", "Last": "/books?page=5"}


def test_the_page_before_the_last_has_no_separate_last_link(browsing):
    assert "Last" not in links(list_html.pagination(a_page(4, total=100)))


def test_the_last_page_links_to_the_first_and_previous_only(browsing):
    html = list_html.pagination(a_page(5, shown=4, total=100))
    assert links(html) == {"First": "/books", "Previous": "/books?page=4"}
    assert current(html) == "Page 5 of 5"


def test_a_capped_count_shows_no_last_page(browsing):
    html = list_html.pagination(a_page(3, total=500, capped=True, has_next=True))
    assert current(html) == "Page 3"
    assert set(links(html)) == {"First", "Previous", "Next"}


def test_page_links_keep_the_filters_and_sort_as_url_for_writes_them(browsing):
    poetry = Subject(slug="poetry", name="Poetry")
    page = a_page(2, total=100, subject=poetry, format=Format.EBOOK, language="ru", sort="price")
    found = links(list_html.pagination(page))
    args = {"subject": "poetry", "format": "ebook", "language": "ru", "sort": "price"}
    assert found["Previous"] == url_for("catalog.browse", **args)
    assert found["Next"] == url_for("catalog.browse", **args, page=3)


def test_a_subject_pages_links_keep_the_subject_in_the_path(app):
    with app.test_request_context("/subjects/poetry?page=2"):
        page = a_page(2, total=100, subject=Subject(slug="poetry", name="Poetry"))
        page.fixed = frozenset({"subject"})
        found = links(list_html.pagination(page))
        assert found["Next"] == url_for("catalog.subject", slug="poetry", page=3)


@pytest.mark.parametrize(
    ("page", "text"),
    [
        (a_page(1, shown=0, total=0), "No books match."),
        (a_page(1, shown=1, total=1), "Showing 1–1 of 1 book"),
        (a_page(2, shown=24, total=1234), "Showing 25–48 of 1,234 books"),
        (a_page(3, total=500, capped=True, has_next=True), "Showing 49–72 of 500+ books"),
    ],
)
def test_the_result_count_says_which_books_are_shown(browsing, page, text):
    html = list_html.result_count(page)
    assert " ".join(re.sub("<[^>]+>", "", html).split()) == text
    assert html.startswith('<p class="result-count" role="status">')


def test_the_result_count_escapes_its_nouns(browsing):
    html = list_html.result_count(a_page(1, shown=0, total=0), "<b>", "<i>s")
    assert "&lt;i&gt;s" in html
    assert "<i>" not in html


def options(html: str, name: str) -> list[tuple[str, str, bool]]:
    """(value, text, selected) of a drop-down's options."""
    select = re.search(rf'<select id="f-{name}" name="{name}">(.*?)</select>', html, re.S)
    return [
        (value, text, bool(selected))
        for value, selected, text in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1)
        )
    ]


def choices(subjects=(), series=None) -> dict:
    """The filter form's options, as ``filter_choices`` gives them (without the database)."""
    return {
        "subjects": list(subjects) if subjects is not None else None,
        "series": series,
        "formats": list(Format),
        "languages": {"en": "English", "ru": "Russian"},
        "availability": {"available": "Available now", "preorder": "Preorder"},
        "sorts": {"newest": "Newest first", "title": "Title A–Z"},
    }


def test_the_filter_form_selects_the_current_filters(browsing):
    poetry, prose = Subject(slug="poetry", name="Poetry"), Subject(slug="prose", name="Prose")
    page = a_page(1, subject=prose, language="ru", sort="title")
    html = list_html.browse_filters(page, choices([poetry, prose]))
    assert options(html, "subject") == [
        ("", "All subjects", False),
        ("poetry", "Poetry", False),
        ("prose", "Prose", True),
    ]
    assert ("ru", "Russian", True) in options(html, "language")
    assert [o for o in options(html, "sort") if o[2]] == [("title", "Title A–Z", True)]
    assert [o for o in options(html, "format") if o[2]] == []
    assert "(2 active)" in html  # the subject and the language; a sort is no filter
    assert f'<a href="{url_for("catalog.browse")}">Clear all</a>' in html


def test_an_unfiltered_form_has_nothing_to_clear(browsing):
    html = list_html.browse_filters(a_page(1), choices())
    assert "Clear all" not in html
    assert "active)" not in html
    assert options(html, "sort")[0] == ("newest", "Newest first", True)


def test_a_sort_alone_can_be_cleared(browsing):
    assert "Clear all" in list_html.browse_filters(a_page(1, sort="title"), choices())


def test_drop_downs_too_long_to_list_are_left_out(browsing):
    html = list_html.browse_filters(a_page(1), choices(subjects=None, series=None))
    assert 'id="f-subject"' not in html
    assert 'id="f-series"' not in html
    assert 'id="f-format"' in html


def test_the_filter_form_escapes_names_and_slugs(browsing):
    odd = Series(slug='a"b', name="<Tolstoy & Co>")
    html = list_html.browse_filters(a_page(1, series=odd), choices(series=[odd]))
    assert options(html, "series")[1] == ("a&#34;b", "&lt;Tolstoy &amp; Co&gt;", True)
    assert "<Tolstoy" not in html


def test_a_chosen_subject_selects_its_own_option_alone(browsing):
    """The options are written once and the chosen one marked after: a slug that begins
    another's, or a choice that changes from page to page, selects only its own option."""
    sea, seas = Subject(slug="sea", name="Sea"), Subject(slug="sea-stories", name="Sea stories")
    for chosen in (seas, sea, None, seas):
        html = list_html.browse_filters(a_page(1, subject=chosen), choices([sea, seas]))
        assert [o[0] for o in options(html, "subject") if o[2]] == ([chosen.slug] if chosen else [])


def found(text="war & peace", total=60, page=1, shown=20, capped=False, isbn=False, exact=False):
    pages = -(-total // 20)
    return SearchResults(
        query=parse_query(text),
        books=[BOOK] * shown,
        total=total,
        page=page,
        pages=pages,
        per_page=20,
        isbn_match=isbn,
        total_capped=capped,
    )


def words(html: str) -> str:
    return " ".join(re.sub("<[^>]+>", "", html).split())


@pytest.mark.parametrize(
    ("results", "text"),
    [
        (found(total=1, shown=1), "One book matches."),
        (found(total=12, shown=12), "12 books match."),
        (found(total=1234, page=2), "1,234 books match; showing 21–40."),
        (
            found(total=500, page=25, capped=True),
            "500+ books match; showing 481–500. Add a word to narrow them down.",
        ),
        (
            found("978-1-880100-45-5", total=1, shown=1, isbn=True),
            "The book with ISBN 978-1-880100-45-5:",
        ),
    ],
)
def test_the_search_status_says_what_was_found(app, results, text):
    with app.test_request_context("/search"):
        assert words(list_html.search_status(results)).startswith(text)


def test_a_search_of_one_page_has_no_page_links(app):
    with app.test_request_context("/search?q=war"):
        assert list_html.search_pagination(found(total=20)) == ""


def test_search_page_links_keep_the_words_quoted_as_url_for_does(app):
    with app.test_request_context("/search?q=war+%26+peace&page=2"):
        html = list_html.search_pagination(found("war & peace", total=60, page=2))
        assert links(html) == {
            "Previous": url_for("catalog.search", q="war & peace", page=1),
            "Next": url_for("catalog.search", q="war & peace", page=3),
        }
        assert current(html) == "Page 2 of 3"


def test_search_page_links_keep_an_exact_search_exact(app):
    with app.test_request_context("/search?q=tolstoj&page=3&exact=1"):
        html = list_html.search_pagination(found("tolstoj", total=60, page=3))
        assert links(html) == {"Previous": url_for("catalog.search", q="tolstoj", page=2, exact=1)}


def test_search_page_links_escape_the_words(app):
    with app.test_request_context("/search"):
        html = list_html.search_pagination(found('"><script>', total=60))
        assert "<script>" not in html
        assert 'href="/search?q=%22%3E%3Cscript%3E&amp;page=2"' in html


def test_the_grid_lists_each_card_and_loads_only_the_first_covers_at_once(app):
    with app.test_request_context("/books"):
        books = [make_book("Murder at the Dacha"), make_book("The Golden Calf")]
        db.session.commit()
        html = list_html.book_grid(books, eager=1)
    items = re.findall(r"<li>(.*?)</li>", html, re.S)
    assert html.startswith('<ul class="book-grid">')
    assert [re.search(r'book-card-title">([^<]*)<', item).group(1) for item in items] == [
        "Murder at the Dacha",
        "The Golden Calf",
    ]
    assert 'fetchpriority="high"' in items[0]
    assert 'loading="lazy"' in items[1]


def test_the_browse_canonical_link_is_the_shops_address_with_the_filters(browsing):
    poetry = Subject(slug="poetry", name="Poetry")
    for page in (a_page(1), a_page(3, subject=poetry, language="ru", sort="title")):
        args = page.url_args()
        assert list_html.browse_canonical(page) == external_url("catalog.browse", **args)
    assert list_html.browse_canonical(a_page(2)).endswith("/books?page=2")


def test_the_browse_canonical_link_follows_a_new_shop_address(app):
    with app.test_request_context("/books"):
        list_html.browse_canonical(a_page(2))
        app.config["SHOP_BASE_URL"] = "https://books.example.org"
        assert list_html.browse_canonical(a_page(2)) == "https://books.example.org/books?page=2"
