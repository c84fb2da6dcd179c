"""Staff manage promotion codes: create (times typed in shop time), list with uses and
remaining, edit, disable, and every change in the audit log."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bookstore.extensions import db
from bookstore.promotions.models import PromoCode, UseLimit
from bookstore.staff.models import AuditEntry
from tests.factories import make_book

FORM = {
    "code": "spring 15",
    "description": "15% off in spring",
    "kind": "percent_off",
    "value": "15",
    "scope": "all",
    "min_order": "20.00",
    # New York is UTC-4 in April.
    "starts_at": "2030-04-01T09:00",
    "ends_at": "2030-04-30T23:59",
    "total_uses": "100",
    "use_limit": "email",
    "first_order_only": "y",
}


def create(staff_client, **fields):
    return staff_client.post("/staff/codes/new", data={**FORM, **fields})


def test_staff_create_a_code_typed_in_shop_time_and_stored_normalised(app, staff_client):
    assert "Valid from (America/New_York time)" in staff_client.get("/staff/codes/new").text
    response = create(staff_client)
    assert response.status_code == 303
    with app.app_context():
        code = db.session.scalars(select(PromoCode)).one()
        assert code.code == "SPRING15"
        assert (code.value, code.min_order_cents, code.total_uses) == (1500, 2000, 100)
        assert code.starts_at == datetime(2030, 4, 1, 13, 0, tzinfo=UTC)
        assert code.use_limit is UseLimit.EMAIL
        assert code.first_order_only
        entry = db.session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.summary) == ("promo_code.create", "SPRING15")
    listing = staff_client.get("/staff/codes").text
    assert "SPRING15" in listing
    assert "100 of 100" in listing
    assert "Upcoming" in listing


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": "x"}, "A code is 3 to 40 letters"),
        ({"value": "150"}, "more than 100%"),
        ({"value": "ten"}, "Value:"),
        ({"ends_at": "2030-03-01T09:00"}, "must end after it starts"),
        ({"scope": "subjects", "targets": "Alchemy"}, "Not found: &#39;Alchemy&#39;"),
        ({"scope": "editions", "targets": ""}, "needs at least one named"),
        ({"starts_at": ""}, "Give the date and time the code starts."),
    ],
)
def test_bad_input_gets_a_message_not_a_500(staff_client, fields, message):
    response = create(staff_client, **fields)
    assert response.status_code == 400
    assert message in response.text


def test_a_code_exists_only_once_whatever_its_case(staff_client):
    create(staff_client)
    response = create(staff_client, code="Spring15")
    assert response.status_code == 400
    assert "The code SPRING15 exists already" in response.text


def test_staff_edit_and_disable_a_code_and_the_log_shows_both(app, staff_client):
    with app.app_context():
        isbn = make_book(formats=("hardcover",)).editions[0].isbn13
        db.session.commit()
    create(staff_client)
    with app.app_context():
        code_id = db.session.scalar(select(PromoCode.id))
    page = staff_client.get(f"/staff/codes/{code_id}").text
    assert 'value="2030-04-30T23:59"' in page
    assert 'value="15"' in page
    edited = staff_client.post(
        f"/staff/codes/{code_id}",
        data={**FORM, "code": "IGNORED", "scope": "editions", "targets": isbn, "value": "20"},
    )
    assert edited.status_code == 303
    toggled = staff_client.post(f"/staff/codes/{code_id}/toggle")
    assert toggled.status_code == 303
    with app.app_context():
        code = db.session.get(PromoCode, code_id)
        assert (code.code, code.value, code.active) == ("SPRING15", 2000, False)
        assert [e.isbn13 for e in code.editions] == [isbn]
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["promo_code.create", "promo_code.update", "promo_code.disable"]
    page = staff_client.get(f"/staff/codes/{code_id}").text
    assert "Disabled" in page
    assert "promo_code.disable" in page
    assert "Enable the code" in page


def test_an_unknown_code_is_404(staff_client):
    assert staff_client.get("/staff/codes/999").status_code == 404
    assert staff_client.post("/staff/codes/999/toggle").status_code == 404
