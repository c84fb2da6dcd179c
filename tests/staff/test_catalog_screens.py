"""Staff manage books, editions, covers and stock from the browser, with every change logged."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from bookstore.catalog.models import Book, Edition, StockMovement
from bookstore.extensions import db
from bookstore.staff.models import AuditEntry
from tests.factories import make_book


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def paperback(app):
    with app.app_context():
        book = make_book("Murder at the Dacha", formats=("paperback", "ebook"), on_hand=5)
        db.session.commit()
        return book.id, book.editions[0].id, book.editions[1].id


def test_staff_add_a_book_then_an_edition(app, staff_client):
    response = staff_client.post(
        "/staff/books/new",
        data={
            "title": "Stargorod",
            "subtitle": "A Novel in Many Voices",
            "languages": "en",
            "published_on": "2013-05-01",
            "subjects": "Fiction; Fiction; Literary",
            "contributors": "Peter Aleshkovsky | author\nNina Shevchuk-Murray | translator",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        book = db.session.scalar(select(Book).where(Book.title == "Stargorod"))
        assert [s.name for s in book.subjects] == ["Fiction", "Literary"]
        assert [(c.contributor.name, c.role.value) for c in book.credits] == [
            ("Peter Aleshkovsky", "author"),
            ("Nina Shevchuk-Murray", "translator"),
        ]
        book_id = book.id
    response = staff_client.post(
        f"/staff/books/{book_id}/editions/new",
        data={"format": "paperback", "isbn13": "978-1-880100-80-6", "price": "16.00"},
    )
    assert response.status_code == 303
    with app.app_context():
        edition = db.session.scalar(select(Edition).where(Edition.book_id == book_id))
        assert (edition.isbn13, edition.price_cents, edition.on_hand) == ("9781880100806", 1600, 0)
    assert audit_actions(app) == ["book.create", "edition.create"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"isbn13": "9781880100807"}, b"check digit"),
        ({"isbn13": "12345"}, b"13 digits"),
        ({"price": "-3"}, b"Enter a price"),
        ({"price": "16.999"}, b"Enter a price"),
        ({"price": "sixteen"}, b"Enter a price"),
        ({"pages": "0"}, b"Pages"),
        ({"format": "scroll"}, b"Not a valid choice"),
    ],
)
def test_bad_edition_input_is_refused_with_a_message(app, staff_client, paperback, fields, message):
    book_id, _, _ = paperback
    data = {"format": "hardcover", "isbn13": "9781880100806", "price": "20.00", **fields}
    response = staff_client.post(f"/staff/books/{book_id}/editions/new", data=data)
    assert response.status_code == 400
    assert message in response.data
    with app.app_context():
        assert db.session.scalar(select(Edition).where(Edition.format == "hardcover")) is None


def test_duplicate_isbn_is_refused(app, staff_client, paperback):
    book_id, paperback_id, _ = paperback
    with app.app_context():
        taken = db.session.get(Edition, paperback_id).isbn13
    response = staff_client.post(
        f"/staff/books/{book_id}/editions/new",
        data={"format": "hardcover", "isbn13": taken, "price": "20.00"},
    )
    assert response.status_code == 400
    assert b"already belongs to Murder at the Dacha" in response.data


def test_price_edit_converts_dollars_once_and_logs_before_and_after(app, staff_client, paperback):
    _, edition_id, _ = paperback
    with app.app_context():
        isbn = db.session.get(Edition, edition_id).isbn13
    response = staff_client.post(
        f"/staff/editions/{edition_id}",
        data={"format": "paperback", "isbn13": isbn, "price": "17.50"},
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Edition, edition_id).price_cents == 1750
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "edition.update"))
        assert entry.before == {"price_cents": 1600}
        assert entry.after == {"price_cents": 1750}
        assert entry.actor.email == "staff@example.com"


def test_receive_and_adjust_write_the_ledger(app, staff_client, paperback):
    _, edition_id, _ = paperback
    url = f"/staff/editions/{edition_id}"
    staff_client.post(url + "/receive", data={"receive-quantity": "5", "receive-note": "Ingram"})
    staff_client.post(url + "/adjust", data={"adjust-delta": "-2", "adjust-reason": "damage"})
    with app.app_context():
        edition = db.session.get(Edition, edition_id)
        assert edition.on_hand == 8
        ledger = db.session.execute(
            select(StockMovement.delta, StockMovement.reason)
            .where(StockMovement.edition_id == edition_id)
            .order_by(StockMovement.id)
        ).all()
        assert ledger[-2:] == [(5, "receive"), (-2, "damage")]
    assert audit_actions(app)[-2:] == ["stock.receive", "stock.damage"]
    page = staff_client.get(url)
    assert b"Ingram" in page.data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"adjust-delta": "-6", "adjust-reason": "count"},
            b"fewer copies on hand than are reserved",
        ),
        ({"adjust-delta": "0", "adjust-reason": "count"}, b"change of zero"),
        ({"adjust-delta": "x", "adjust-reason": "count"}, b"Change in copies"),
        ({"adjust-delta": "1", "adjust-reason": "theft-by-elves"}, b"Not a valid choice"),
    ],
)
def test_bad_adjustments_change_nothing(app, staff_client, paperback, data, message):
    _, edition_id, _ = paperback
    response = staff_client.post(f"/staff/editions/{edition_id}/adjust", data=data)
    assert response.status_code == 303
    page = staff_client.get(response.headers["Location"])
    assert message in page.data
    with app.app_context():
        assert db.session.get(Edition, edition_id).on_hand == 5


def test_stock_never_goes_below_what_is_reserved(app, staff_client, paperback):
    _, edition_id, _ = paperback
    with app.app_context():
        db.session.get(Edition, edition_id).reserved = 4
        db.session.commit()
    staff_client.post(
        f"/staff/editions/{edition_id}/adjust",
        data={"adjust-delta": "-2", "adjust-reason": "count"},
    )
    with app.app_context():
        assert db.session.get(Edition, edition_id).on_hand == 5


def test_receiving_stock_for_an_ebook_is_refused(app, staff_client, paperback):
    _, _, ebook_id = paperback
    response = staff_client.post(
        f"/staff/editions/{ebook_id}/receive", data={"receive-quantity": "3"}, follow_redirects=True
    )
    assert b"ebook" in response.data
    with app.app_context():
        assert db.session.get(Edition, ebook_id).on_hand == 0


def test_retiring_keeps_the_edition_and_its_history(app, staff_client, paperback):
    _, edition_id, _ = paperback
    staff_client.post(f"/staff/editions/{edition_id}/active", data={"active": "0"})
    with app.app_context():
        edition = db.session.get(Edition, edition_id)
        assert edition.active is False
    staff_client.post(f"/staff/editions/{edition_id}/active", data={"active": "1"})
    with app.app_context():
        assert db.session.get(Edition, edition_id).active is True
    assert audit_actions(app)[-2:] == ["edition.retire", "edition.reinstate"]


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 900), "navy").save(buffer, "JPEG")
    return buffer.getvalue()


def test_cover_upload_stores_a_server_named_clean_image(app, staff_client, paperback):
    book_id, _, _ = paperback
    response = staff_client.post(
        f"/staff/books/{book_id}/cover",
        data={"cover": (io.BytesIO(_jpeg()), "../../etc/passwd.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with app.app_context():
        name = db.session.get(Book, book_id).cover_image
    assert name.endswith("-large.jpg")
    assert "/" not in name
    assert "passwd" not in name
    assert (app.config["COVER_DIR"] + "/" + name).count("..") == 0


@pytest.mark.parametrize(
    ("payload", "filename"),
    [
        (b"<html><script>alert(1)</script>", "cover.jpg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "cover.png"),
        (b"MZ\x90\x00 not really an exe", "cover.webp"),
    ],
)
def test_hostile_files_are_refused_whatever_their_name(
    app, staff_client, paperback, payload, filename
):
    book_id, _, _ = paperback
    response = staff_client.post(
        f"/staff/books/{book_id}/cover",
        data={"cover": (io.BytesIO(payload), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert b"Cover refused" in response.data
    with app.app_context():
        assert db.session.get(Book, book_id).cover_image is None


def test_an_upload_over_the_size_limit_gets_413_with_a_clear_message(make_app, paperback):
    from tests.staff.helpers import log_in

    app = make_app(MAX_CONTENT_LENGTH=50_000)
    with app.app_context():
        from bookstore.accounts.models import Role
        from tests.factories import make_user

        user = make_user("big@example.com", role=Role.STAFF)
        db.session.commit()
        client = app.test_client()
        log_in(client, user)
    book_id, _, _ = paperback
    response = client.post(
        f"/staff/books/{book_id}/cover",
        data={"cover": (io.BytesIO(b"x" * 60_000), "big.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert b"too large" in response.data


def test_book_list_filters(app, staff_client):
    with app.app_context():
        make_book("Plenty", on_hand=50)
        make_book("Nearly Gone", on_hand=1)
        make_book("All Gone", on_hand=0)
        db.session.commit()
    low = staff_client.get("/staff/books?show=low-stock").data
    assert b"Nearly Gone" in low
    assert b"All Gone" in low
    assert b"Plenty" not in low
    out = staff_client.get("/staff/books?show=out-of-stock").data
    assert b"All Gone" in out
    assert b"Nearly Gone" not in out
    found = staff_client.get("/staff/books?q=plen").data
    assert b"Plenty" in found
    assert b"Nearly Gone" not in found
    assert staff_client.get("/staff/books?show=bogus&page=-4").status_code == 200


def test_uploaded_cover_is_shown_large_on_the_book_page_and_small_on_cards(app, staff_client):
    with app.app_context():
        book = make_book("Covered", on_hand=3)
        db.session.commit()
        book_id, slug = book.id, book.slug
    staff_client.post(
        f"/staff/books/{book_id}/cover",
        data={"cover": (io.BytesIO(_jpeg()), "cover.jpg")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        name = db.session.get(Book, book_id).cover_image.removesuffix("-large.jpg")
    page = staff_client.get(f"/books/{slug}").get_data(as_text=True)
    assert f"/covers/files/{name}-large.jpg" in page
    listing = staff_client.get("/books").get_data(as_text=True)
    assert f"/covers/files/{name}-small.jpg" in listing
    image = staff_client.get(f"/covers/files/{name}-small.jpg")
    image.close()
    assert image.status_code == 200
    assert image.mimetype == "image/jpeg"


def test_staff_screens_count_copies_of_lapsed_checkouts_as_free(app, staff_client):
    from datetime import timedelta

    from bookstore.dbtypes import utcnow
    from tests.checkout.helpers import make_cart, place

    with app.app_context():
        edition = make_book("Murder at the Dacha", on_hand=3).editions[0]
        edition.low_stock_threshold = 5
        place(make_cart((edition, 2)), now=utcnow() - timedelta(hours=2))  # lapsed since
        db.session.commit()
        edition_id = edition.id
    page = staff_client.get(f"/staff/editions/{edition_id}").text
    assert "<strong>2</strong> reserved for orders, <strong>3</strong> free to sell" in page
    books = staff_client.get("/staff/books?q=Dacha").text
    assert "3 /" in books
    dashboard = staff_client.get("/staff/").text
    low = dashboard.split("Low stock")[1]
    assert "<td>3</td><td>2</td><td>3</td>" in low  # on hand, reserved, free
