"""The books list: covers, sorting, price and stock changed in place, bulk actions."""

import re

import pytest
from sqlalchemy import select

from bookstore.catalog.models import Book, Edition, StockMovement
from bookstore.extensions import db
from bookstore.staff.models import AuditEntry
from tests.factories import make_book

LIST = "/staff/books"


@pytest.fixture
def shelf(app):
    """Three books: (edition ids) of Anna (1800, 5), Boris (900, 1), Vera (2500, 12)."""
    with app.app_context():
        books = [
            make_book("Anna Karenina", price_cents=1800, on_hand=5, subjects=("Fiction",)),
            make_book("Boris Godunov", price_cents=900, on_hand=1, subjects=("Drama",)),
            make_book("Vera", price_cents=2500, on_hand=12, subjects=("Fiction",)),
        ]
        db.session.commit()
        return [b.editions[0].id for b in books]


def titles_in_order(html: str) -> list[str]:
    return re.findall(r'<a href="/staff/books/\d+">([^<]+)</a>', html)


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_list_shows_a_cover_thumbnail_per_row(app, staff_client, shelf):
    html = staff_client.get(LIST).get_data(as_text=True)
    assert html.count('class="thumb"') == 3
    assert "/covers/anna-karenina" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Anna Karenina", "Boris Godunov", "Vera"]),
        ("?sort=title&dir=desc", ["Vera", "Boris Godunov", "Anna Karenina"]),
        ("?sort=price", ["Boris Godunov", "Anna Karenina", "Vera"]),
        ("?sort=price&dir=desc", ["Vera", "Anna Karenina", "Boris Godunov"]),
        ("?sort=stock", ["Boris Godunov", "Anna Karenina", "Vera"]),
        ("?sort=nonsense", ["Anna Karenina", "Boris Godunov", "Vera"]),
    ],
)
def test_columns_sort_both_ways(staff_client, shelf, query, expected):
    html = staff_client.get(LIST + query).get_data(as_text=True)
    assert titles_in_order(html) == expected


def test_the_sorted_column_says_so_and_links_to_the_other_direction(staff_client, shelf):
    html = staff_client.get(LIST + "?sort=price").get_data(as_text=True)
    assert 'aria-sort="ascending"' in html
    assert "sort=price&amp;dir=desc" in html


def test_price_and_stock_change_in_place(app, staff_client, shelf):
    anna = shelf[0]
    response = staff_client.post(
        f"/staff/editions/{anna}/quick",
        data={
            f"e{anna}-price": "19.50",
            f"e{anna}-on_hand": "8",
            f"e{anna}-on_hand_seen": "5",
            "next": "/staff/books?sort=price&dir=desc",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/books?sort=price&dir=desc"
    with app.app_context():
        edition = db.session.get(Edition, anna)
        assert (edition.price_cents, edition.on_hand) == (1950, 8)
        movement = db.session.scalar(select(StockMovement))
        assert (movement.delta, movement.reason) == (3, "count")
    assert actions(app) == ["edition.update", "stock.count"]


def test_stock_moves_by_the_difference_from_what_the_page_showed(app, staff_client, shelf):
    """A sale made after the page was loaded is not undone by the edit."""
    anna = shelf[0]
    with app.app_context():
        db.session.get(Edition, anna).on_hand = 4  # one copy sold meanwhile
        db.session.commit()
    staff_client.post(
        f"/staff/editions/{anna}/quick",
        data={f"e{anna}-price": "18.00", f"e{anna}-on_hand": "7", f"e{anna}-on_hand_seen": "5"},
    )
    with app.app_context():
        assert db.session.get(Edition, anna).on_hand == 6


def test_a_bad_price_changes_nothing_and_says_why(app, staff_client, shelf):
    anna = shelf[0]
    response = staff_client.post(
        f"/staff/editions/{anna}/quick",
        data={f"e{anna}-price": "cheap", f"e{anna}-on_hand": "5", f"e{anna}-on_hand_seen": "5"},
        follow_redirects=True,
    )
    assert b"Anna Karenina (paperback) not changed" in response.data
    assert b"Enter a price" in response.data
    with app.app_context():
        assert db.session.get(Edition, anna).price_cents == 1800


def test_the_return_address_must_be_the_list(staff_client, shelf):
    anna = shelf[0]
    response = staff_client.post(
        f"/staff/editions/{anna}/quick",
        data={f"e{anna}-price": "18.00", "next": "https://evil.example/staff/books"},
    )
    assert response.headers["Location"] == "/staff/books"


def test_bulk_retire_logs_each_edition(app, staff_client, shelf):
    response = staff_client.post(
        "/staff/books/bulk",
        data={"bulk-action": "retire", "edition": [str(shelf[0]), str(shelf[2])]},
        follow_redirects=True,
    )
    assert b"2 record(s) changed" in response.data
    with app.app_context():
        assert [db.session.get(Edition, i).active for i in shelf] == [False, True, False]
    assert actions(app) == ["edition.retire", "edition.retire"]


def test_bulk_add_and_remove_a_subject(app, staff_client, shelf):
    staff_client.post(
        "/staff/books/bulk",
        data={"bulk-action": "add-subject", "bulk-value": "Classics", "edition": shelf},
    )
    staff_client.post(
        "/staff/books/bulk",
        data={"bulk-action": "remove-subject", "bulk-value": "fiction", "edition": shelf},
    )
    with app.app_context():
        subjects = {
            b.title: sorted(s.name for s in b.subjects) for b in db.session.scalars(select(Book))
        }
    assert subjects == {
        "Anna Karenina": ["Classics"],
        "Boris Godunov": ["Classics", "Drama"],
        "Vera": ["Classics"],
    }
    assert actions(app) == ["book.subject_add"] * 3 + ["book.subject_remove"] * 2


def test_removing_an_unknown_subject_is_refused(app, staff_client, shelf):
    response = staff_client.post(
        "/staff/books/bulk",
        data={"bulk-action": "remove-subject", "bulk-value": "Poetry", "edition": shelf},
        follow_redirects=True,
    )
    assert b"There is no subject called" in response.data
    assert actions(app) == []


def test_bulk_low_stock_threshold_then_back_to_the_default(app, staff_client, shelf):
    staff_client.post(
        "/staff/books/bulk",
        data={"bulk-action": "threshold", "bulk-value": "7", "edition": shelf[:2]},
    )
    with app.app_context():
        assert [db.session.get(Edition, i).low_stock_threshold for i in shelf] == [7, 7, None]
    staff_client.post(
        "/staff/books/bulk", data={"bulk-action": "threshold", "bulk-value": "", "edition": shelf}
    )
    with app.app_context():
        assert [db.session.get(Edition, i).low_stock_threshold for i in shelf] == [None] * 3
    assert actions(app) == ["edition.update"] * 4


def test_a_bulk_action_needs_rows_and_an_action(app, staff_client, shelf):
    no_rows = staff_client.post(
        "/staff/books/bulk", data={"bulk-action": "retire"}, follow_redirects=True
    )
    assert b"Select at least one row" in no_rows.data
    no_action = staff_client.post(
        "/staff/books/bulk", data={"bulk-action": "", "edition": shelf}, follow_redirects=True
    )
    assert b"Choose an action" in no_action.data
    assert actions(app) == []


def test_the_search_box_documents_its_shortcut(staff_client, shelf):
    html = staff_client.get(LIST).get_data(as_text=True)
    assert "data-shortcut-search" in html
    assert "<kbd>/</kbd>" in html
