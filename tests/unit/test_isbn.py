"""ISBN-13 validation and display."""

import pytest

from bookstore.catalog.isbn import (
    check_digit,
    hyphenate_isbn13,
    is_valid_isbn13,
    normalise_isbn,
    validate_isbn13,
)
from bookstore.errors import InvalidISBN


@pytest.mark.parametrize(
    "isbn", ["9781880100813", "978-1-880100-81-3", "978 1 880100 72 1", "9781880100554"]
)
def test_real_isbns_are_valid(isbn):
    assert is_valid_isbn13(isbn)
    assert validate_isbn13(isbn) == normalise_isbn(isbn)


@pytest.mark.parametrize(
    ("isbn", "message"),
    [
        ("9781880100814", "check digit"),
        ("978188010081", "13 digits"),
        ("97818801008133", "13 digits"),
        ("97818801008X3", "13 digits"),
        ("1234567890128", "978 or 979"),
        ("", "13 digits"),
    ],
)
def test_invalid_isbns_are_refused_with_a_reason(isbn, message):
    assert not is_valid_isbn13(isbn)
    with pytest.raises(InvalidISBN, match=message):
        validate_isbn13(isbn)


def test_check_digit():
    assert check_digit("978188010081") == "3"


@pytest.mark.parametrize(
    ("isbn", "shown"),
    [
        ("9781880100813", "978-1-880100-81-3"),
        ("9780140449136", "978-0-14-044913-6"),
        ("9791032305690", "979-10-323-0569-0"),
        # The 979-8 group (United States) is split by registrant like any other.
        ("9798999900012", "979-8-9999000-1-2"),
        ("9798886450125", "979-8-88645-012-5"),
    ],
)
def test_hyphenation(isbn, shown):
    assert hyphenate_isbn13(isbn) == shown
