"""Receiving a delivery and counting stock: many ISBNs on one page, recorded all at once."""

import pytest
from sqlalchemy import func, select

from bookstore.catalog.models import Edition, StockMovement
from bookstore.extensions import db
from bookstore.staff.models import AuditEntry, StockBatch, StockBatchLine
from tests.factories import make_book


def batch_form(lines, action="record", **fields) -> dict:
    """The form as the page posts it: a row per (isbn, quantity), then the details."""
    data = {"action": action, **fields}
    for number, (isbn, quantity) in enumerate(lines):
        data[f"lines-{number}-isbn"] = isbn
        data[f"lines-{number}-quantity"] = "" if quantity is None else str(quantity)
    return data


def on_hand(app, edition_ids) -> list[int]:
    with app.app_context():
        return [db.session.get(Edition, eid).on_hand for eid in edition_ids]


def count_rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def twenty_titles(app):
    """Twenty paperbacks with 2 copies each: (edition ids, ISBNs)."""
    with app.app_context():
        books = [make_book(f"Delivered Title {n}", on_hand=2) for n in range(20)]
        db.session.commit()
        return [b.editions[0].id for b in books], [b.editions[0].isbn13 for b in books]


def test_a_delivery_of_twenty_titles_is_recorded_from_one_page(app, staff_client, twenty_titles):
    ids, isbns = twenty_titles
    page = staff_client.get("/staff/stock/receive?rows=20")
    assert page.status_code == 200
    assert page.data.count(b'data-isbn=""') == 20
    # Hyphens as printed on the book are fine; an empty quantity is one copy.
    hyphenated = isbns[0][:3] + "-" + isbns[0][3:]
    lines = [(hyphenated, None)] + [(isbn, n + 1) for n, isbn in enumerate(isbns[1:], start=1)]
    response = staff_client.post(
        "/staff/stock/receive",
        data=batch_form(lines, supplier="Consortium Book Sales", reference="DN-4471"),
    )
    assert response.status_code == 303
    assert on_hand(app, ids) == [3] + [2 + n + 1 for n in range(1, 20)]
    with app.app_context():
        batch = db.session.scalar(select(StockBatch))
        assert (batch.kind, batch.supplier, batch.reference) == (
            "delivery",
            "Consortium Book Sales",
            "DN-4471",
        )
        assert len(batch.lines) == 20
        movements = db.session.scalars(
            select(StockMovement).where(StockMovement.reason == "receive")
        ).all()
        assert len(movements) == 20
        assert {m.note for m in movements} == {
            f"Delivery #{batch.id} from Consortium Book Sales, ref. DN-4471"
        }
        assert {line.movement_id for line in batch.lines} == {m.id for m in movements}
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "stock.delivery"))
        assert entry.summary.endswith("210 copies of 20 title(s)")
    done = staff_client.get(response.headers["Location"])
    assert b"Delivered Title 19" in done.data
    assert b"DN-4471" in done.data


def test_the_same_isbn_on_two_rows_is_added_up(app, staff_client, twenty_titles):
    ids, isbns = twenty_titles
    response = staff_client.post(
        "/staff/stock/receive", data=batch_form([(isbns[0], 3), (isbns[0], 4)], supplier="Ingram")
    )
    assert response.status_code == 303
    assert on_hand(app, ids[:1]) == [9]
    assert count_rows(app, StockBatchLine) == 1


def test_unknown_isbns_and_ebooks_refuse_the_whole_delivery(app, staff_client, twenty_titles):
    ids, isbns = twenty_titles
    with app.app_context():
        ebook = make_book("Only Digital", formats=("ebook",)).editions[0].isbn13
        db.session.commit()
    lines = [(isbns[0], 5), ("9780000000002", 1), (ebook, 1), ("9781880100807", 1), (isbns[1], 2)]
    response = staff_client.post("/staff/stock/receive", data=batch_form(lines, supplier="Ingram"))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Nothing was recorded" in text
    assert "Row 2 (9780000000002)" in text
    assert "No edition in the catalog has this ISBN" in text
    assert "Only Digital (ebook) has no stock" in text
    assert "check digit" in text
    # What was typed stays on the page to be corrected.
    assert f'value="{isbns[1]}"' in text
    assert on_hand(app, ids[:2]) == [2, 2]
    assert count_rows(app, StockBatch) == 0
    assert count_rows(app, StockMovement) == 0


def test_a_delivery_needs_a_supplier(app, staff_client, twenty_titles):
    ids, isbns = twenty_titles
    response = staff_client.post("/staff/stock/receive", data=batch_form([(isbns[0], 5)]))
    assert response.status_code == 400
    assert b"Name the supplier" in response.data
    assert on_hand(app, ids[:1]) == [2]


def test_the_check_step_shows_titles_and_records_nothing(app, staff_client, twenty_titles):
    ids, isbns = twenty_titles
    response = staff_client.post(
        "/staff/stock/receive", data=batch_form([(isbns[3], 4)], action="check", supplier="X")
    )
    assert response.status_code == 200
    assert b"Delivered Title 3" in response.data
    assert b"All 1 line found (4 copies)" in response.data
    assert on_hand(app, ids[3:4]) == [2]
    assert count_rows(app, StockBatch) == 0


def test_add_more_rows_keeps_what_was_typed(app, staff_client, twenty_titles):
    _, isbns = twenty_titles
    response = staff_client.post(
        "/staff/stock/receive", data=batch_form([(isbns[0], 4)], action="more", supplier="Ingram")
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.count('data-isbn=""') == 20  # the 10 rows of the page, and 10 more
    assert f'value="{isbns[0]}"' in text
    assert 'value="Ingram"' in text


def test_enter_without_javascript_checks_rather_than_records(staff_client):
    """The first submit button is the form's default: a scanner's Enter must not record."""
    text = staff_client.get("/staff/stock/receive").get_data(as_text=True)
    buttons = text[text.index('name="action"') - 40 :]
    assert buttons.index('value="check"') < buttons.index('value="record"')


def test_a_stock_count_records_the_differences_as_count_entries(app, staff_client, twenty_titles):
    ids, isbns = twenty_titles
    lines = [(isbns[0], 2), (isbns[1], 5), (isbns[2], 0)]
    response = staff_client.post("/staff/stock/count", data=batch_form(lines, note="Shelf B"))
    assert response.status_code == 303
    assert on_hand(app, ids[:3]) == [2, 5, 0]
    with app.app_context():
        deltas = db.session.scalars(
            select(StockMovement.delta)
            .where(StockMovement.reason == "count")
            .order_by(StockMovement.edition_id)
        ).all()
        assert deltas == [3, -2]
        batch = db.session.scalar(select(StockBatch))
        assert [(line.quantity, line.delta) for line in batch.lines] == [(2, 0), (5, 3), (0, -2)]
        assert batch.lines[0].movement_id is None


def test_a_count_below_the_reserved_copies_changes_nothing(app, staff_client, twenty_titles):
    ids, isbns = twenty_titles
    with app.app_context():
        db.session.get(Edition, ids[1]).reserved = 2
        db.session.commit()
    response = staff_client.post(
        "/staff/stock/count", data=batch_form([(isbns[0], 7), (isbns[1], 1)])
    )
    assert response.status_code == 400
    assert b"reserved for orders" in response.data
    assert on_hand(app, ids[:2]) == [2, 2]
    assert count_rows(app, StockMovement) == 0


def test_a_delivery_of_zero_copies_is_refused(app, staff_client, twenty_titles):
    _, isbns = twenty_titles
    response = staff_client.post(
        "/staff/stock/receive", data=batch_form([(isbns[0], 0)], supplier="Ingram")
    )
    assert response.status_code == 400
    assert b"from 1 to 100,000" in response.data


def test_an_empty_batch_is_refused(staff_client):
    response = staff_client.post("/staff/stock/receive", data=batch_form([], supplier="Ingram"))
    assert response.status_code == 400
    assert b"Enter at least one ISBN" in response.data


def test_the_lookup_answers_with_the_title(app, staff_client, twenty_titles):
    _, isbns = twenty_titles
    found = staff_client.get(f"/staff/stock/lookup?isbn={isbns[5]}").get_json()
    assert found["found"] is True
    assert (found["title"], found["format"], found["on_hand"]) == (
        "Delivered Title 5",
        "Paperback",
        2,
    )
    missing = staff_client.get("/staff/stock/lookup?isbn=9780000000002").get_json()
    assert missing["found"] is False
    assert "No edition" in missing["problem"]


@pytest.mark.parametrize(
    "url", ["/staff/stock/receive", "/staff/stock/count", "/staff/stock/lookup?isbn=1"]
)
def test_customers_cannot_reach_the_stock_pages(customer_client, url):
    assert customer_client.get(url).status_code == 403
