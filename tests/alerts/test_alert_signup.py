"""Signing up for an availability alert: one click signed in, double opt-in for a guest."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bookstore.alerts.models import AlertState, StockAlert
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.inventory import ledger
from bookstore.jobs import schedules
from tests.alerts.helpers import (
    alert_states,
    link_path,
    preorder_edition,
    reader_client,
    sold_out_edition,
)
from tests.factories import make_book, make_user
from tests.fixtures.mail import text_body


@pytest.fixture
def sold_out(app):
    with app.app_context():
        edition_id = sold_out_edition()
        db.session.commit()
    return edition_id


def test_a_signed_in_reader_signs_up_in_one_click_and_twice_is_once(app, sold_out, outbox):
    client, _ = reader_client(app)
    for _ in range(2):
        response = client.post("/alerts/", data={"edition_id": sold_out})
        assert response.status_code == 303
    assert alert_states(app, sold_out) == ["waiting"]
    page = client.get(response.headers["Location"])
    assert "We will email you once" in page.text
    assert len(outbox) == 0


def test_the_book_page_offers_the_alert_on_a_sold_out_edition_only(app, client):
    with app.app_context():
        sold = make_book("Sold Out Book", on_hand=0)
        stocked = make_book("Stocked Book", on_hand=5)
        db.session.commit()
        sold_slug, stocked_slug = sold.slug, stocked.slug
    assert "Email me when it&#39;s available" in client.get(f"/books/{sold_slug}").text
    assert "Email me when it" not in client.get(f"/books/{stocked_slug}").text


def test_a_preorder_offers_an_alert_for_its_publication(app, client):
    with app.app_context():
        edition_id = preorder_edition()
        db.session.commit()
    reader, _ = reader_client(app)
    response = reader.post("/alerts/", data={"edition_id": edition_id})
    assert response.status_code == 303
    with app.app_context():
        alert = db.session.scalar(select(StockAlert))
        assert alert.kind.value == "publication"


def test_an_edition_in_stock_needs_no_alert(app):
    with app.app_context():
        edition_id = make_book("In Stock", on_hand=4).editions[0].id
        db.session.commit()
    client, _ = reader_client(app)
    page = client.post("/alerts/", data={"edition_id": edition_id}, follow_redirects=True)
    assert "can be ordered now" in page.text
    assert alert_states(app, edition_id) == []


def test_a_guest_confirms_by_email_before_the_alert_waits(app, client, sold_out, outbox):
    response = client.post("/alerts/", data={"edition_id": sold_out, "email": "Guest@Example.com"})
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    assert alert_states(app, sold_out) == ["pending"]
    [message] = outbox
    assert message["To"] == "guest@example.com"
    page = client.get(link_path(text_body(message), "/alerts/confirm/"))
    assert "You are on the list" in page.text
    assert alert_states(app, sold_out) == ["waiting"]


def test_an_unconfirmed_guest_gets_nothing_when_stock_arrives(app, client, sold_out, outbox):
    client.post("/alerts/", data={"edition_id": sold_out, "email": "guest@example.com"})
    outbox.clear()
    with app.app_context():
        ledger.receive_stock(sold_out, 3, actor_id=None)
        db.session.commit()
    assert len(outbox) == 0
    assert alert_states(app, sold_out) == ["pending"]


def test_confirming_after_the_stock_came_sends_the_alert_at_once(app, client, sold_out, outbox):
    client.post("/alerts/", data={"edition_id": sold_out, "email": "late@example.com"})
    link = link_path(text_body(outbox[0]), "/alerts/confirm/")
    with app.app_context():
        ledger.receive_stock(sold_out, 3, actor_id=None)
        db.session.commit()
    outbox.clear()
    page = client.get(link)
    assert "It is available now" in page.text
    assert [m["To"] for m in outbox] == ["late@example.com"]
    assert alert_states(app, sold_out) == ["sent"]


def test_the_guest_form_answers_alike_whether_or_not_the_address_is_known(
    app, client, sold_out, outbox
):
    with app.app_context():
        make_user("member@example.com")
        db.session.commit()
    first = client.post("/alerts/", data={"edition_id": sold_out, "email": "member@example.com"})
    again = client.post("/alerts/", data={"edition_id": sold_out, "email": "member@example.com"})
    fresh = client.post("/alerts/", data={"edition_id": sold_out, "email": "nobody@example.com"})
    assert first.status_code == again.status_code == fresh.status_code == 200
    assert first.text == again.text == fresh.text
    # Asking twice within minutes sends one confirmation.
    assert len(outbox.to("member@example.com")) == 1


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"edition_id": "x", "email": "a@example.com"}, 400),
        ({"edition_id": "999999", "email": "a@example.com"}, 404),
        ({"email": "a@example.com"}, 400),
    ],
)
def test_bad_alert_requests_get_a_clear_answer(client, sold_out, data, status):
    assert client.post("/alerts/", data=data).status_code == status


@pytest.mark.parametrize("email", ["", "not-an-address", "x" * 250 + "@example.com"])
def test_a_bad_guest_address_is_refused_with_a_message(client, sold_out, outbox, email):
    response = client.post("/alerts/", data={"edition_id": sold_out, "email": email})
    assert response.status_code == 400
    assert 'class="form-errors"' in response.text
    assert len(outbox) == 0


def test_tampered_links_are_refused_clearly(client):
    assert client.get("/alerts/confirm/forged").status_code == 400
    assert client.get("/alerts/stop/forged").status_code == 400
    assert client.post("/alerts/stop/forged").status_code == 400
    assert client.get("/alerts/reminders/stop/forged").status_code == 400


def test_guest_sign_ups_are_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        edition_id = sold_out_edition()
        db.session.commit()
    client = app.test_client()
    statuses = [
        client.post(
            "/alerts/", data={"edition_id": edition_id, "email": f"g{n}@example.com"}
        ).status_code
        for n in range(7)
    ]
    assert statuses[:5] == [200] * 5
    assert statuses[-1] == 429


def test_a_reader_stops_their_alert_from_the_wishlist_page(app, sold_out):
    client, _ = reader_client(app)
    client.post("/alerts/", data={"edition_id": sold_out})
    page = client.get("/account/wishlist")
    assert "Murder at the Dacha" in page.text
    with app.app_context():
        alert_id = db.session.scalar(select(StockAlert.id))
    response = client.post(f"/alerts/{alert_id}/cancel")
    assert response.status_code == 303
    assert alert_states(app, sold_out) == [AlertState.CANCELLED.value]


def test_an_alert_never_confirmed_ends_after_a_week(app, client, sold_out, outbox):
    client.post("/alerts/", data={"edition_id": sold_out, "email": "guest@example.com"})
    with app.app_context():
        schedules.release_due_alerts(now=utcnow() + timedelta(days=6))
        assert alert_states(app, sold_out) == ["pending"]
        schedules.release_due_alerts(now=utcnow() + timedelta(days=8))
    assert alert_states(app, sold_out) == ["cancelled"]
    # The address may ask again.
    client.post("/alerts/", data={"edition_id": sold_out, "email": "guest@example.com"})
    assert alert_states(app, sold_out) == ["cancelled", "pending"]
