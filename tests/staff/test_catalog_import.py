"""Importing and exporting the catalog CSV, from the staff page and the command line."""

import csv
import io

from sqlalchemy import func, select

from bookstore.catalog.models import Book, Edition, StockMovement
from bookstore.extensions import db
from bookstore.staff.csv_format import COLUMNS
from bookstore.staff.models import AuditEntry
from tests.factories import make_book

HEADER = ",".join(COLUMNS)


def csv_text(*rows: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def upload(client, text: str, dry_run=False):
    data = {"file": (io.BytesIO(text.encode()), "catalog.csv")}
    if dry_run:
        data["dry_run"] = "y"
    return client.post("/staff/import", data=data, content_type="multipart/form-data")


NEW_ROWS = [
    {
        "isbn13": "9781880100806",
        "title": "Stargorod",
        "format": "paperback",
        "price": "16.00",
        "stock": "7",
        "authors": "Peter Aleshkovsky",
        "subjects": "Fiction",
    },
    {
        "isbn13": "9781880100554",
        "title": "The Frogs Who Begged for a Tsar",
        "format": "paperback",
        "price": "25",
        "pages": "146",
        "authors": "Ivan Krylov",
        "subjects": "Poetry; Bilingual",
        "languages": "en ru",
    },
    {"isbn13": "9798000000014", "title": "Stargorod", "format": "ebook", "price": "9.99"},
]


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Book.id))),
            db.session.scalar(select(func.count(Edition.id))),
            db.session.scalar(select(func.count(StockMovement.id))),
        )


def test_import_creates_books_editions_and_stock_ledger(app, staff_client):
    response = upload(staff_client, csv_text(*NEW_ROWS))
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    assert b"2 new book(s), 3 new edition(s)" in response.data
    with app.app_context():
        stargorod = db.session.scalar(select(Book).where(Book.title == "Stargorod"))
        assert sorted(e.format.value for e in stargorod.editions) == ["ebook", "paperback"]
        assert [a.name for a in stargorod.authors] == ["Peter Aleshkovsky"]
        frogs = db.session.scalar(select(Book).where(Book.title.startswith("The Frogs")))
        assert frogs.languages == "en ru"
        assert [s.name for s in frogs.subjects] == ["Bilingual", "Poetry"]
        ledger = db.session.execute(select(StockMovement.delta, StockMovement.reason)).all()
        assert ledger == [(7, "import")]
        assert db.session.scalar(select(AuditEntry.action)) == "catalog.import"


def test_dry_run_shows_the_plan_and_changes_nothing(app, staff_client):
    response = upload(staff_client, csv_text(*NEW_ROWS), dry_run=True)
    assert b"Dry run: nothing was changed" in response.data
    assert b"new: 9781880100806 Stargorod" in response.data
    assert counts(app) == (0, 0, 0)


def test_update_by_isbn_changes_price_and_counts_stock(app, staff_client):
    with app.app_context():
        book = make_book("Murder at the Dacha", on_hand=5, price_cents=1600)
        isbn = book.editions[0].isbn13
        db.session.commit()
    response = upload(staff_client, f"isbn13,price,stock\n{isbn},17.50,9\n")
    assert b"1 edition(s) changed, 1 stock change(s)" in response.data
    with app.app_context():
        edition = db.session.scalar(select(Edition).where(Edition.isbn13 == isbn))
        assert (edition.price_cents, edition.on_hand) == (1750, 9)
        assert db.session.execute(select(StockMovement.delta)).scalars().all() == [4]


def test_a_file_with_bad_rows_changes_nothing_and_names_each_row(app, staff_client):
    with app.app_context():
        book = make_book("Reserved Book", on_hand=5)
        book.editions[0].reserved = 3
        isbn = book.editions[0].isbn13
        db.session.commit()
    bad = csv_text(
        NEW_ROWS[0],
        {
            "isbn13": "9781880100814",
            "title": "Bad check digit",
            "format": "paperback",
            "price": "1",
        },
        {"isbn13": "9798000000021", "title": "No price", "format": "paperback"},
        {"isbn13": isbn, "stock": "2"},
        {
            "isbn13": "9798000000038",
            "title": "Negative",
            "format": "paperback",
            "price": "1",
            "stock": "-4",
        },
        {"isbn13": "9798000000045", "title": "Stargorod", "format": "paperback", "price": "1"},
    )
    before = counts(app)
    response = upload(staff_client, bad)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "line 3: The check digit" in page
    assert "line 4: a new ISBN needs price" in page
    assert "line 5: stock 2 is below the 3 copies reserved" in page
    assert "line 6: stock &#39;-4&#39; must be a whole number" in page
    assert "line 7: Stargorod already has a paperback edition" in page
    assert counts(app) == before


def test_non_utf8_and_non_csv_uploads_get_a_clear_message(app, staff_client):
    response = upload(staff_client, "isbn13\n")
    assert response.status_code == 200
    latin1 = staff_client.post(
        "/staff/import",
        data={
            "file": (io.BytesIO("isbn13,title\n9781880100813,Caf\xe9\n".encode("latin-1")), "x.csv")
        },
        content_type="multipart/form-data",
    )
    assert b"not UTF-8" in latin1.data
    junk = upload(staff_client, "\x89PNG\r\n\x1a\n binary junk")
    assert junk.status_code == 400


def test_export_round_trips_and_neutralises_formulas(app, staff_client):
    with app.app_context():
        make_book('=HYPERLINK("http://evil.example")', on_hand=3, price_cents=1234)
        db.session.commit()
    response = staff_client.get("/staff/export/catalog.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["title"].startswith("'=HYPERLINK")
    assert rows[0]["price"] == "12.34"
    assert rows[0]["stock"] == "3"


def test_orders_export_has_a_header_even_when_empty(staff_client):
    response = staff_client.get("/staff/export/orders.csv?state=paid")
    assert response.get_data(as_text=True).startswith("reference,created_at")


def test_cli_import_with_progress_and_dry_run(app, runner, tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(csv_text(*NEW_ROWS))
    dry = runner.invoke(args=["catalog", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run" in dry.output
    assert counts(app)[0] == 0
    real = runner.invoke(args=["catalog", "import", str(path)])
    assert real.exit_code == 0, real.output
    assert counts(app)[:2] == (2, 3)
    again = runner.invoke(args=["catalog", "import", str(path)])
    assert again.exit_code == 0
    assert "0 new book(s), 0 new edition(s), 0 edition(s) changed" in again.output
    out = tmp_path / "out.csv"
    assert runner.invoke(args=["catalog", "export", str(out)]).exit_code == 0
    assert len(out.read_text().splitlines()) == 4


def test_cli_refuses_a_bad_file(app, runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("isbn13,price\n123,abc\n")
    result = runner.invoke(args=["catalog", "import", str(path)])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
