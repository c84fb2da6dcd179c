"""Money is integer cents, formatted in one place."""

import pytest

from bookstore.money import format_cents, parse_amount, plain_amount


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "$0.00"), (5, "$0.05"), (1600, "$16.00"), (123456, "$1,234.56"), (-250, "-$2.50")],
)
def test_format_cents(cents, text):
    assert format_cents(cents) == text


def test_format_cents_other_currency():
    assert format_cents(1000, "EUR") == "€10.00"
    assert format_cents(1000, "SEK") == "10.00 SEK"


@pytest.mark.parametrize("bad", [16.0, "16", None, True])
def test_format_cents_refuses_non_integers(bad):
    with pytest.raises(TypeError):
        format_cents(bad)


@pytest.mark.parametrize(
    ("text", "cents"),
    [("16", 1600), ("16.5", 1650), ("16.05", 1605), ("$1,016.00", 101600), (" 0 ", 0)],
)
def test_parse_amount(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize("bad", ["", "abc", "-1", "1.005", "NaN", "inf", "1e400"])
def test_parse_amount_refuses_bad_input(bad):
    with pytest.raises(ValueError, match="amount|decimals"):
        parse_amount(bad)


@pytest.mark.parametrize(
    ("cents", "text"), [(0, "0.00"), (1600, "16.00"), (5, "0.05"), (-250, "-2.50")]
)
def test_plain_amount_round_trips_with_parse_amount(cents, text):
    assert plain_amount(cents) == text
    if cents >= 0:
        assert parse_amount(plain_amount(cents)) == cents
