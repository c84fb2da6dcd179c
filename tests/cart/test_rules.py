"""Unit rules of the cart: quantities, ids, redirects and shipping (no database)."""

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from bookstore import models  # noqa: F401  (configures every mapper)
from bookstore.cart.forms import read_fields, read_line_change, safe_next
from bookstore.cart.pricing import shipping_for
from bookstore.cart.rules import line_limit, offer_for, parse_id, parse_quantity
from bookstore.catalog.models import Book, Edition, Format
from bookstore.errors import InvalidInput

BAD_QUANTITIES = [
    "0",
    "-1",
    "1.5",
    "1e3",
    "abc",
    "10**9",
    "1000000000",
    "11",
    " 2 x",
    " 2 ",
    "2abc",
    "+2",
    "0x2",
    "２",
    "٣",
    "",
    "1,5",
    "NaN",
    "inf",
]
CONFIG = {"SHIPPING_FLAT_CENTS": 500, "FREE_SHIPPING_OVER_CENTS": 5000}


@pytest.mark.parametrize("raw", BAD_QUANTITIES)
def test_quantity_other_than_a_whole_number_from_1_to_max_is_refused(raw):
    with pytest.raises(InvalidInput, match="from 1 to 10"):
        parse_quantity(raw, max_per_line=10)


def test_missing_quantity_is_refused():
    with pytest.raises(InvalidInput):
        parse_quantity(None, max_per_line=10)


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("7", 7), ("10", 10), ("03", 3)])
def test_whole_numbers_within_the_maximum_are_accepted(raw, expected):
    assert parse_quantity(raw, max_per_line=10) == expected


@pytest.mark.parametrize("raw", ["0", "-3", "x", "1.0", "", None, "9" * 20])
def test_edition_ids_must_be_positive_whole_numbers(raw):
    with pytest.raises(InvalidInput, match="could not be found"):
        parse_id(raw)


def test_repeated_field_is_refused():
    form = MultiDict([("edition_id", "1"), ("quantity", "1"), ("quantity", "2")])
    with pytest.raises(InvalidInput, match="more than once"):
        read_line_change(form, max_per_line=10)


@pytest.mark.parametrize("field", ["price", "price_cents", "currency", "unit_price", "cart_token"])
def test_extra_fields_such_as_a_price_are_refused(field):
    form = MultiDict([("edition_id", "1"), ("quantity", "1"), (field, "1")])
    with pytest.raises(InvalidInput, match="does not accept"):
        read_line_change(form, max_per_line=10)


def test_csrf_token_and_next_are_the_only_extra_fields_allowed():
    form = MultiDict({"edition_id": "4", "quantity": "2", "csrf_token": "t", "next": "/b"})
    assert read_line_change(form, max_per_line=10) == (4, 2)
    assert read_fields(MultiDict({"csrf_token": "t"}), ()) == {}


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https:evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "/%2F%2Fevil.example",
        "/%5Cevil.example",
        "/cart\nLocation: x",
        "",
        None,
    ],
)
def test_next_must_be_a_path_on_this_site(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/cart", "/books/murder-at-the-dacha?format=ebook"])
def test_next_accepts_same_site_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    ("subtotal", "has_physical", "expected"),
    [
        (0, False, 0),
        (0, True, 0),
        (1600, False, 0),
        (99_900, False, 0),
        (1600, True, 500),
        (4999, True, 500),
        (5000, True, 0),
        (12_000, True, 0),
    ],
)
def test_shipping_is_flat_free_over_the_threshold_and_nothing_for_ebooks(
    subtotal, has_physical, expected
):
    assert shipping_for(subtotal, has_physical, CONFIG) == expected


def test_shipping_without_a_free_threshold_is_always_flat():
    assert shipping_for(1_000_000, True, {"SHIPPING_FLAT_CENTS": 700}) == 700


def _edition(fmt="paperback", **fields):
    book = Book(title="Dacha", slug="dacha", published_on=fields.pop("book_date", None))
    values = {"on_hand": 5, "reserved": 0, "active": True, "out_of_print": False, "price_cents": 1}
    values.update(fields)
    return Edition(book=book, format=Format(fmt), isbn13="9790000000001", **values)


@pytest.mark.parametrize(
    ("fields", "limit"),
    [
        ({}, 5),
        ({"on_hand": 50}, 10),
        ({"on_hand": 5, "reserved": 4}, 1),
        ({"on_hand": 5, "reserved": 5}, 0),
        ({"active": False}, 0),
        ({"out_of_print": True}, 0),
    ],
)
def test_line_limit_is_stock_capped_by_the_per_line_maximum(fields, limit):
    assert line_limit(_edition(**fields), max_per_line=10) == limit


def test_ebooks_are_limited_to_one_copy():
    assert line_limit(_edition("ebook", on_hand=0), max_per_line=10) == 1


def test_offer_for_a_preorder_is_limited_by_its_allocated_copies():
    edition = _edition(on_hand=3, book_date=date(2030, 1, 1))
    offer = offer_for(edition, max_per_line=10, today=date(2026, 1, 1))
    assert offer.can_add
    assert offer.is_preorder
    assert offer.max_quantity == 3


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"on_hand": 0}, "Out of stock"),
        ({"out_of_print": True}, "Out of print"),
        ({"active": False}, "No longer sold"),
    ],
)
def test_offer_explains_why_an_edition_cannot_be_added(fields, message):
    offer = offer_for(_edition(**fields), max_per_line=10, today=date(2026, 1, 1))
    assert not offer.can_add
    assert message in offer.message
