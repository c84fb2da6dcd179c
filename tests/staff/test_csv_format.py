"""Reading the catalog CSV reports every bad row; writing it never lets a formula through."""

from datetime import date

import pytest

from bookstore.catalog.models import Format
from bookstore.staff.csv_format import COLUMNS, neutralise_cell, read_catalog_csv, write_csv

HEADER = ",".join(COLUMNS) + "\n"
GOOD = (
    "978-1-880100-81-3,Murder at the Dacha,,paperback,16.00,320,2013-07-01,12,"
    "Alexei Bayer,Fiction; Mystery,Matyushkin Mysteries,2,en,A Moscow detective story.,\n"
)


def test_a_good_row_is_read_into_typed_values():
    parsed = read_catalog_csv(HEADER + GOOD)
    assert parsed.errors == []
    [row] = parsed.rows
    assert row.isbn13 == "9781880100813"
    assert row.format is Format.PAPERBACK
    assert row.price_cents == 1600
    assert row.pages == 320
    assert row.published_on == date(2013, 7, 1)
    assert row.stock == 12
    assert row.authors == ["Alexei Bayer"]
    assert row.subjects == ["Fiction", "Mystery"]
    assert (row.series, row.series_position) == ("Matyushkin Mysteries", 2)


def test_only_the_isbn_column_is_required_and_empty_cells_mean_no_change():
    parsed = read_catalog_csv("isbn13,price\n9781880100813,17.50\n9781880100721,\n")
    assert parsed.errors == []
    assert [r.price_cents for r in parsed.rows] == [1750, None]
    assert parsed.rows[0].title is None


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"isbn13": "9781880100814"}, "check digit"),
        ({"isbn13": "12345"}, "13 digits"),
        ({"format": "scroll"}, "format 'scroll' is not one of"),
        ({"price": "-1"}, "price '-1' is not an amount"),
        ({"price": "12.345"}, "price '12.345'"),
        ({"price": "abc"}, "price 'abc'"),
        ({"stock": "-3"}, "stock '-3' must be a whole number from 0"),
        ({"stock": "2.5"}, "stock '2.5'"),
        ({"pages": "0"}, "pages '0'"),
        ({"published_on": "31/12/2020"}, "not a YYYY-MM-DD date"),
        ({"series_position": "2", "series": ""}, "series_position needs a series"),
        ({"languages": "english"}, "two-letter codes"),
        ({"title": "bad\x00title"}, "control characters"),
        ({"cover": "ftp://example.com/a.jpg"}, "cover must be an http(s) address or a file path"),
        ({"cover": "javascript:alert(1)"}, "cover must be an http(s) address"),
    ],
)
def test_each_bad_cell_is_reported_with_its_line(cells, message):
    values = dict(zip(COLUMNS, GOOD.strip().split(","), strict=True))
    values.update(cells)
    text = HEADER + GOOD.replace("9781880100813", "9781880100721") + ",".join(values.values())
    parsed = read_catalog_csv(text + "\n")
    assert len(parsed.rows) == 1
    assert [e.line for e in parsed.errors] == [3] * len(parsed.errors)
    assert any(message in e.message for e in parsed.errors), parsed.errors


def test_duplicate_isbn_in_one_file_names_both_lines():
    parsed = read_catalog_csv(HEADER + GOOD + GOOD)
    assert str(parsed.errors[0]) == "line 3: ISBN 9781880100813 is also on line 2"


def test_unknown_and_missing_columns_are_refused_before_any_row():
    parsed = read_catalog_csv("title,colour\nA,red\n")
    assert parsed.rows == []
    assert "missing column(s): isbn13" in parsed.errors[0].message
    assert "unknown column(s): colour" in parsed.errors[0].message


def test_extra_cells_and_broken_quotes_are_errors_not_crashes():
    parsed = read_catalog_csv('isbn13,title\n9781880100813,A,B\n9781880100721,"open\n')
    messages = [str(e) for e in parsed.errors]
    assert "line 2: more cells than columns" in messages
    assert any("not valid CSV" in m for m in messages)


def test_byte_order_mark_and_blank_lines_are_tolerated():
    parsed = read_catalog_csv("\ufeffisbn13,stock\n\n9781880100813,4\n,\n")
    assert parsed.errors == []
    assert parsed.rows[0].stock == 4


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Murder at the Dacha", "Murder at the Dacha"),
        (1600, "1600"),
        (None, ""),
    ],
)
def test_formula_cells_are_neutralised(value, shown):
    assert neutralise_cell(value) == shown


def test_write_csv_neutralises_every_cell_and_round_trips():
    text = "".join(write_csv(["isbn13", "title"], [["9781880100813", "=cmd|' /C calc'!A0"]]))
    assert text.splitlines()[1] == "9781880100813,'=cmd|' /C calc'!A0"
