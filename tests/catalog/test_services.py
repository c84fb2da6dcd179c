"""Catalog services: availability, browse filters and sorts, pagination, detail pages."""

from datetime import date

import pytest
import sqlalchemy as sa

from bookstore.catalog import book_rows, listing, services
from bookstore.catalog.availability import (
    StockState,
    book_summary,
    edition_availability,
    sorted_editions,
)
from bookstore.catalog.listing import BrowseFilters, list_books, parse_filters
from bookstore.catalog.models import Book, BookContributor, ContributorRole, Edition, Format
from bookstore.errors import NotFound
from bookstore.extensions import db
from tests.factories import get_contributor, make_book

TODAY = date(2026, 6, 15)


def titles(page):
    return [b.title for b in page.books]


def browse(today=TODAY, page_size=24, **args):
    page, _choices = services.browse(args, today, page_size)
    return page


# --- availability -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on_hand", "reserved", "state", "label"),
    [
        (10, 0, StockState.IN_STOCK, "In stock"),
        (3, 0, StockState.IN_STOCK, "In stock"),
        (2, 0, StockState.LOW_STOCK, "Only 2 left"),
        (5, 4, StockState.LOW_STOCK, "Only 1 left"),
        (5, 5, StockState.OUT_OF_STOCK, "Out of stock"),
        (0, 0, StockState.OUT_OF_STOCK, "Out of stock"),
    ],
)
def test_print_edition_availability_follows_copies_not_reserved(
    app_ctx, on_hand, reserved, state, label
):
    edition = make_book(on_hand=on_hand).editions[0]
    edition.reserved = reserved
    result = edition_availability(edition, TODAY, low_stock_threshold=3)
    assert (result.state, result.label) == (state, label)


def test_edition_threshold_overrides_the_shop_threshold(app_ctx):
    edition = make_book(on_hand=5).editions[0]
    edition.low_stock_threshold = 10
    assert edition_availability(edition, TODAY, 3).label == "Only 5 left"


def test_future_publication_makes_a_preorder_with_its_date(app_ctx):
    edition = make_book(published_on=date(2027, 3, 1)).editions[0]
    result = edition_availability(edition, TODAY, 3)
    assert result.state is StockState.PREORDER
    assert result.label == "Preorder: published March 1, 2027"
    assert result.can_buy
    assert result.state.schema_url == "https://schema.org/PreOrder"


def test_out_of_print_edition_cannot_be_bought(app_ctx):
    edition = make_book().editions[0]
    edition.out_of_print = True
    result = edition_availability(edition, TODAY, 3)
    assert result.state is StockState.OUT_OF_PRINT
    assert not result.can_buy


def test_ebook_is_always_available_to_download(app_ctx):
    edition = make_book(formats=("ebook",)).editions[0]
    result = edition_availability(edition, TODAY, 3)
    assert (result.state, result.label) == (StockState.IN_STOCK, "Available to download")


def test_editions_show_paperback_hardcover_ebook_and_hide_retired_ones(app_ctx):
    book = make_book(formats=("ebook", "hardcover", "paperback"))
    book.editions[1].active = False
    assert [e.format for e in sorted_editions(book)] == [Format.PAPERBACK, Format.EBOOK]


def test_book_summary_prices_from_the_cheapest_edition_on_sale(app_ctx):
    book = make_book(formats=("paperback", "ebook"), price_cents=1600, on_hand=0)
    summary = book_summary(book, TODAY, 3)
    # The paperback is sold out: the card offers the ebook's price only.
    assert summary.min_price_cents == 1000
    assert not summary.several_prices
    assert summary.availability.label == "Available to download"


def test_book_summary_prefers_print_copies_when_in_stock(app_ctx):
    book = make_book(formats=("paperback", "ebook"), on_hand=2)
    summary = book_summary(book, TODAY, 3)
    assert summary.several_prices
    assert summary.availability.label == "Only 2 left"


# --- browse: filters ----------------------------------------------------------------------


def test_browse_filters_by_subject(app_ctx):
    make_book("A Mystery", subjects=("Mystery",))
    make_book("A History", subjects=("History",))
    assert titles(browse(subject="mystery")) == ["A Mystery"]


@pytest.mark.parametrize("small_subject", [0, 1000], ids=["walk the sort", "subject first"])
@pytest.mark.parametrize("sort", ["newest", "title", "price"])
def test_a_subject_lists_the_same_books_read_either_way(app_ctx, monkeypatch, small_subject, sort):
    """Small subjects are read from their own index, broad ones by walking the sort's index:
    the same pages either way."""
    monkeypatch.setattr(listing, "SMALL_SUBJECT", small_subject)
    for n in range(5):
        make_book(f"Mystery {n}", subjects=("Mystery",), published_on=date(2010 + n, 1, 1),
                  price_cents=1000 + 100 * (n % 3))  # fmt: skip
        make_book(f"History {n}", subjects=("History",), published_on=date(2010 + n, 2, 1))
    expected = {
        "newest": ["Mystery 4", "Mystery 3", "Mystery 2", "Mystery 1", "Mystery 0"],
        "title": ["Mystery 0", "Mystery 1", "Mystery 2", "Mystery 3", "Mystery 4"],
        "price": ["Mystery 0", "Mystery 3", "Mystery 1", "Mystery 4", "Mystery 2"],
    }[sort]
    pages = [
        titles(browse(subject="mystery", sort=sort, page_size=2, page=str(n))) for n in (1, 2, 3)
    ]
    assert sum(pages, []) == expected


def test_browse_filters_by_format(app_ctx):
    make_book("Print Only", formats=("paperback",))
    make_book("With Ebook", formats=("paperback", "ebook"))
    assert titles(browse(format="ebook")) == ["With Ebook"]


def test_browse_filters_by_series(app_ctx):
    make_book("In Series", series=("Matyushkin Mysteries", 1))
    make_book("Standalone")
    assert titles(browse(series="matyushkin-mysteries")) == ["In Series"]


def test_browse_filters_by_language_including_bilingual_editions(app_ctx):
    make_book("English Only", languages="en")
    make_book("Bilingual", languages="en ru")
    assert titles(browse(language="ru")) == ["Bilingual"]
    assert sorted(titles(browse(language="en"))) == ["Bilingual", "English Only"]


def test_browse_filters_by_availability(app_ctx):
    make_book("In Stock", on_hand=4)
    make_book("Sold Out", on_hand=0)
    make_book("Coming Soon", published_on=date(2027, 1, 1))
    make_book("Ebook Only", formats=("ebook",))
    assert sorted(titles(browse(availability="available"))) == ["Ebook Only", "In Stock"]
    assert titles(browse(availability="preorder")) == ["Coming Soon"]


def test_availability_filter_respects_the_chosen_format(app_ctx):
    make_book("Sold Out Print", formats=("paperback", "ebook"), on_hand=0)
    assert titles(browse(availability="available", format="paperback")) == []
    assert titles(browse(availability="available", format="ebook")) == ["Sold Out Print"]


@pytest.mark.parametrize(
    "args",
    [
        {"subject": "no-such-subject"},
        {"series": "no-such-series"},
        {"format": "scroll"},
        {"language": "xx"},
        {"availability": "someday"},
        {"subject": "'; DROP TABLE books; --"},
        {"page": "-1"},
        {"page": "0"},
        {"page": "abc"},
        {"page": "1.5"},
        {"page": str(listing.MAX_PAGE + 1)},
        {"page": "9" * 40},
    ],
)
def test_unknown_filter_values_and_bad_pages_are_not_found(app_ctx, args):
    make_book()
    with pytest.raises(NotFound):
        browse(**args)


def test_unknown_sort_falls_back_to_newest(app_ctx):
    make_book("Old", published_on=date(2001, 1, 1))
    make_book("New", published_on=date(2020, 1, 1))
    page = browse(sort="bogus")
    assert titles(page) == ["New", "Old"]
    assert page.filters.sort == "newest"


# --- browse: sorts and pages --------------------------------------------------------------


def test_newest_first_puts_undated_books_last_on_every_database(app_ctx):
    make_book("Undated", published_on=None)
    make_book("Old", published_on=date(2001, 1, 1))
    make_book("Upcoming", published_on=date(2030, 1, 1))
    assert titles(browse()) == ["Upcoming", "Old", "Undated"]


def test_newest_pages_run_on_from_dated_into_undated_books(app_ctx):
    for year in (2001, 2002, 2003):
        make_book(f"Dated {year}", published_on=date(year, 1, 1))
    make_book("Undated A", published_on=None)
    make_book("Undated B", published_on=None)
    pages = [titles(browse(page_size=2, page=str(n))) for n in (1, 2, 3)]
    assert pages == [["Dated 2003", "Dated 2002"], ["Dated 2001", "Undated B"], ["Undated A"]]


def test_sort_by_title(app_ctx):
    for title in ("Chekhov", "Anna", "Bunin"):
        make_book(title)
    assert titles(browse(sort="title")) == ["Anna", "Bunin", "Chekhov"]


def test_sort_by_lowest_price_with_unpriced_books_last(app_ctx):
    make_book("Dear", price_cents=3000)
    make_book("Cheap", price_cents=900)
    retired = make_book("Retired", price_cents=100)
    retired.editions[0].active = False
    make_book("Middle", formats=("hardcover", "ebook"), price_cents=2500)  # ebook at 19.00
    assert titles(browse(sort="price")) == ["Cheap", "Middle", "Dear", "Retired"]


def test_price_order_follows_every_change_to_editions(app_ctx):
    """The cheapest price a price sort reads is kept by the database, whoever writes."""
    first = make_book("First", price_cents=1000)
    second = make_book("Second", price_cents=2000)
    assert titles(browse(sort="price")) == ["First", "Second"]
    first.editions[0].price_cents = 2500  # a new price
    db.session.flush()
    assert titles(browse(sort="price")) == ["Second", "First"]
    # A cheaper edition written with Core, as bulk writers do.
    db.session.execute(
        sa.insert(Edition).values(
            book_id=first.id, format=Format.EBOOK, isbn13="9780000000017", price_cents=500
        )
    )
    assert titles(browse(sort="price")) == ["First", "Second"]
    db.session.execute(sa.delete(Edition).where(Edition.isbn13 == "9780000000017"))
    assert titles(browse(sort="price")) == ["Second", "First"]
    second.editions[0].active = False  # retired: no price left, so it goes last
    db.session.flush()
    assert titles(browse(sort="price")) == ["First", "Second"]
    cheapest = sa.select(Book.min_price_cents).where(Book.id == second.id)
    assert db.session.scalar(cheapest) is None


def test_price_sort_uses_the_filtered_format(app_ctx):
    make_book("Hardcover Cheap", formats=("hardcover", "ebook"), price_cents=1000)
    make_book("Hardcover Dear", formats=("hardcover", "ebook"), price_cents=5000)
    page = browse(sort="price", format="ebook")
    assert titles(page) == ["Hardcover Cheap", "Hardcover Dear"]


def test_pages_split_the_list_and_know_whether_more_follow(app_ctx):
    for n in range(5):
        make_book(f"Book {n}", published_on=date(2010 + n, 1, 1))
    first, last = browse(page_size=2), browse(page_size=2, page="3")
    assert titles(first) == ["Book 4", "Book 3"]
    assert first.has_next
    assert first.total == 5
    assert first.last_page == 3
    assert titles(last) == ["Book 0"]
    assert not last.has_next
    assert (last.first_index, last.last_index) == (5, 5)
    with pytest.raises(NotFound):
        browse(page_size=2, page="4")


def test_counts_stop_at_the_cap(app_ctx, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    for _ in range(5):
        make_book()
    page = browse()
    assert page.total == 3
    assert page.total_capped
    assert page.last_page is None
    assert len(page.books) == 5


def test_empty_first_page_is_a_normal_page(app_ctx):
    page = browse()
    assert page.books == []
    assert page.total == 0
    assert not page.has_next


def test_page_urls_list_filters_in_a_fixed_order_without_defaults(app_ctx):
    make_book(subjects=("History",), series=("Lives", 1))
    filters = parse_filters(
        {
            "sort": "title",
            "page": "1",
            "format": "paperback",
            "series": "lives",
            "subject": "history",
        }
    )
    assert list(filters.to_args(page=2).items()) == [
        ("subject", "history"),
        ("series", "lives"),
        ("format", "paperback"),
        ("sort", "title"),
        ("page", 2),
    ]
    assert BrowseFilters().to_args() == {}


def test_list_books_loads_cards_in_page_order(app_ctx):
    make_book("Second", published_on=date(2001, 1, 1))
    make_book("First", published_on=date(2002, 1, 1))
    page = list_books(BrowseFilters(), TODAY, 10)
    assert titles(page) == ["First", "Second"]
    assert page.books[0].authors[0].name == "Test Author"


# --- book page ----------------------------------------------------------------------------


def test_book_detail_has_editions_contributors_and_subjects(app_ctx):
    book = make_book("Davai!", formats=("ebook", "paperback"), subjects=("History", "Culture"))
    book.credits.append(
        BookContributor(
            contributor=get_contributor("Nora Favorov"), role=ContributorRole.TRANSLATOR, position=1
        )
    )
    db.session.commit()
    detail = services.book_detail(book.slug)
    assert [e.format for e in detail.editions] == [Format.PAPERBACK, Format.EBOOK]
    assert [(role, [p.name for p in people]) for role, people in detail.credits_by_role] == [
        (ContributorRole.AUTHOR, ["Test Author"]),
        (ContributorRole.TRANSLATOR, ["Nora Favorov"]),
    ]
    assert [s.name for s in detail.book.subjects] == ["Culture", "History"]


def test_unknown_book_is_not_found(app_ctx):
    with pytest.raises(NotFound):
        services.book_detail("no-such-book")


def test_series_neighbours_skip_gaps_in_positions(app_ctx):
    first = make_book("First", series=("Saga", 1))
    middle = make_book("Middle", series=("Saga", 3))
    last = make_book("Last", series=("Saga", 7))
    detail = services.book_detail(middle.slug)
    assert (detail.previous.title, detail.next.title) == ("First", "Last")
    assert services.book_detail(first.slug).previous is None
    assert services.book_detail(last.slug).next is None


def test_you_might_also_like_puts_the_series_first_then_shared_subjects(app_ctx):
    book = make_book("Murder at the Dacha", series=("Mysteries", 2), subjects=("Mystery",))
    make_book("Latchkey", series=("Mysteries", 1), subjects=("Mystery",))
    make_book("Other Mystery", subjects=("Mystery",), published_on=date(2020, 1, 1))
    make_book("Unrelated", subjects=("Cooking",))
    detail = services.book_detail(book.slug)
    assert [b.title for b in detail.also_like] == ["Latchkey", "Other Mystery"]


def test_you_might_also_like_is_bounded(app_ctx):
    book = make_book(subjects=("Poetry",))
    for _ in range(book_rows.RELATED_LIMIT + 3):
        make_book(subjects=("Poetry",))
    related = services.book_detail(book.slug).also_like
    assert len(related) == book_rows.RELATED_LIMIT
    assert book not in related


# --- contributor, series, subject, home ---------------------------------------------------


def test_contributor_page_lists_their_books_with_roles(app_ctx):
    own = make_book("Own Novel", authors=("Nora Favorov",))
    translated = make_book("Translated", authors=("Lev Berdnikov",))
    translated.credits.append(
        BookContributor(
            contributor=get_contributor("Nora Favorov"), role=ContributorRole.TRANSLATOR, position=1
        )
    )
    make_book("Not Hers", authors=("Someone Else",))
    db.session.flush()
    found = services.contributor_page("nora-favorov", {}, TODAY, 24)
    assert sorted(titles(found.books)) == ["Own Novel", "Translated"]
    assert found.roles[own.id] == [ContributorRole.AUTHOR]
    assert found.roles[translated.id] == [ContributorRole.TRANSLATOR]
    with pytest.raises(NotFound):
        services.contributor_page("nobody", {}, TODAY, 24)


def test_series_page_lists_books_in_reading_order(app_ctx):
    make_book("Third", series=("Saga", 3), published_on=date(2001, 1, 1))
    make_book("First", series=("Saga", 1), published_on=date(2010, 1, 1))
    series, page = services.series_page("saga", {"page": "1"}, TODAY, 24)
    assert series.name == "Saga"
    assert titles(page) == ["First", "Third"]
    assert page.url_args(page=2) == {"page": 2}
    with pytest.raises(NotFound):
        services.series_page("saga", {"page": "x"}, TODAY, 24)


def test_subject_page_sorts_and_keeps_its_subject_out_of_links(app_ctx):
    make_book("Zoo", subjects=("Poetry",))
    make_book("Ark", subjects=("Poetry",))
    make_book("Prose", subjects=("Fiction",))
    subject, page = services.subject_page("poetry", {"sort": "title"}, TODAY, 24)
    assert subject.name == "Poetry"
    assert titles(page) == ["Ark", "Zoo"]
    assert page.url_args(page=2) == {"sort": "title", "page": 2}


def test_new_and_upcoming_leads_with_the_latest_dates(app_ctx):
    make_book("Old", published_on=date(2001, 1, 1))
    make_book("Upcoming", published_on=date(2030, 1, 1))
    make_book("Undated", published_on=None)
    assert [b.title for b in services.new_and_upcoming(2)] == ["Upcoming", "Old"]


def test_featured_books_are_only_the_featured_ones(app_ctx):
    make_book("Plain")
    make_book("Star", featured=True)
    assert [b.title for b in services.featured_books()] == ["Star"]


def test_price_pages_count_each_book_once_and_end_with_unpriced_books(app_ctx):
    make_book("Two Editions", formats=("hardcover", "ebook"), price_cents=2000)  # ebook 14.00
    make_book("Cheapest", price_cents=500)
    make_book("Dearest", price_cents=4000)
    make_book("Middle", price_cents=1500)
    make_book("No Editions", formats=())
    pages = [titles(browse(sort="price", page_size=2, page=str(n))) for n in (1, 2, 3)]
    assert pages == [["Cheapest", "Two Editions"], ["Middle", "Dearest"], ["No Editions"]]
    with pytest.raises(NotFound):
        browse(sort="price", page_size=2, page="4")
