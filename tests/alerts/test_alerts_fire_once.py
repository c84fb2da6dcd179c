"""Stock arriving by any path ends each waiting alert with exactly one email (sent through a
real SMTP server), a second arrival sends nothing more, and one click stops the alerts."""

import io
from datetime import UTC, date, datetime

import pytest

from bookstore.catalog.models import Edition
from bookstore.checkout.effects import restock
from bookstore.extensions import db
from bookstore.inventory import ledger
from bookstore.jobs import schedules
from tests.alerts.helpers import alert_states, link_path, sold_out_edition, waiting_alert
from tests.factories import make_book, make_user
from tests.fixtures.mail import text_body
from tests.staff.helpers import log_in, make_order

READER = "reader@example.com"
GUEST = "guest@example.com"


@pytest.fixture
def shop(make_app, smtp_server):
    """The app sending through aiosmtpd, a staff client, and a sold-out edition with a signed-in
    reader and a confirmed guest waiting for it."""
    app = make_app(**smtp_server.config)
    with app.app_context():
        edition_id = sold_out_edition()
        reader = make_user(READER)
        staff = make_user("staff@example.com", role="staff")
        waiting_alert(edition_id, user_id=reader.id)
        waiting_alert(edition_id, email=GUEST)
        db.session.commit()
        staff_client = app.test_client()
        log_in(staff_client, staff)
        isbn = db.session.get(Edition, edition_id).isbn13
    return app, staff_client, edition_id, isbn


def staff_receive(app, staff_client, edition_id, isbn):
    response = staff_client.post(
        f"/staff/editions/{edition_id}/receive", data={"receive-quantity": "3"}
    )
    assert response.status_code == 303


def staff_count(app, staff_client, edition_id, isbn):
    response = staff_client.post(
        f"/staff/editions/{edition_id}/adjust",
        data={"adjust-delta": "2", "adjust-reason": "count"},
    )
    assert response.status_code == 303


def csv_import(app, staff_client, edition_id, isbn):
    with app.app_context():
        on_hand = db.session.get(Edition, edition_id).on_hand
    text = f"isbn13,stock\n{isbn},{on_hand + 4}\n"
    response = staff_client.post(
        "/staff/import",
        data={"file": (io.BytesIO(text.encode()), "catalog.csv")},
        content_type="multipart/form-data",
    )
    assert b"1 stock change(s)" in response.data


def refund_restock(app, staff_client, edition_id, isbn):
    with app.app_context():
        order = make_order(1600)
        restock(order, {edition_id: 1}, actor_id=None)
        db.session.commit()


PATHS = [staff_receive, staff_count, csv_import, refund_restock]


@pytest.mark.parametrize("arrive", PATHS, ids=[p.__name__ for p in PATHS])
def test_each_subscriber_gets_exactly_one_email_even_after_two_arrivals(shop, smtp_server, arrive):
    app, staff_client, edition_id, isbn = shop
    arrive(app, staff_client, edition_id, isbn)
    arrive(app, staff_client, edition_id, isbn)
    assert sorted(str(m["To"]) for m in smtp_server.messages) == [GUEST, READER]
    assert alert_states(app, edition_id) == ["sent", "sent"]
    [message] = smtp_server.to(READER)
    assert "Murder at the Dacha" in message["Subject"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/alerts/stop/" in message["List-Unsubscribe"]


def test_stock_leaving_sends_nothing(shop, smtp_server):
    app, staff_client, edition_id, _ = shop
    with app.app_context():
        ledger.receive_stock(edition_id, 2, actor_id=None)
        db.session.commit()
    smtp_server.messages.clear()
    with app.app_context():
        waiting_alert(edition_id, email="later@example.com")
        ledger.adjust_stock(edition_id, -1, reason="damage", actor_id=None)
        db.session.commit()
    assert smtp_server.messages == []


def test_a_rolled_back_receipt_sends_nothing_and_keeps_the_alerts(shop, smtp_server):
    app, _, edition_id, _ = shop
    with app.app_context():
        ledger.receive_stock(edition_id, 2, actor_id=None)
        db.session.rollback()
    assert smtp_server.messages == []
    assert alert_states(app, edition_id) == ["waiting", "waiting"]


def test_one_click_unsubscribe_stops_every_alert_of_the_address(shop, smtp_server):
    app, _, edition_id, _ = shop
    with app.app_context():
        other = sold_out_edition("The Samovar")
        waiting_alert(other, email=GUEST)
        ledger.receive_stock(edition_id, 1, actor_id=None)
        db.session.commit()
    [message] = smtp_server.to(GUEST)
    stop = link_path(message["List-Unsubscribe"], "/alerts/stop/")
    client = app.test_client()
    assert "1 book" in client.get(stop).text
    # RFC 8058: the mail client POSTs without a CSRF token.
    response = client.post(stop, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert alert_states(app, other) == ["cancelled"]
    smtp_server.messages.clear()
    with app.app_context():
        ledger.receive_stock(other, 1, actor_id=None)
        db.session.commit()
    assert smtp_server.messages == []
    assert "/alerts/stop/" in text_body(message)


def test_a_preorder_alert_fires_on_publication_day_once(app, outbox):
    with app.app_context():
        book = make_book("Winter Tales", on_hand=5, published_on=date(2030, 3, 1))
        edition_id = book.editions[0].id
        waiting_alert(edition_id, email=GUEST, kind="publication")
        db.session.commit()
        assert schedules.release_due_alerts(now=datetime(2030, 2, 28, 12, tzinfo=UTC)) == 0
        assert schedules.release_due_alerts(now=datetime(2030, 3, 1, 18, tzinfo=UTC)) == 1
        assert schedules.release_due_alerts(now=datetime(2030, 3, 2, 18, tzinfo=UTC)) == 0
    [message] = outbox
    assert "is published" in text_body(message)


def test_a_published_edition_with_no_copies_waits_for_stock(app, outbox):
    with app.app_context():
        book = make_book("Winter Tales", on_hand=0, published_on=date(2030, 3, 1))
        edition_id = book.editions[0].id
        waiting_alert(edition_id, email=GUEST, kind="publication")
        db.session.commit()
        assert schedules.release_due_alerts(now=datetime(2030, 3, 2, 12, tzinfo=UTC)) == 0
    assert len(outbox) == 0


def test_the_cli_lists_waiting_counts_and_releases(app, runner):
    with app.app_context():
        edition_id = sold_out_edition()
        for n in range(3):
            waiting_alert(edition_id, email=f"r{n}@example.com")
        db.session.commit()
    result = runner.invoke(args=["alerts", "waiting"])
    assert "    3  " in result.output
    assert "Murder at the Dacha" in result.output
    assert "0 alert(s) ended" in runner.invoke(args=["alerts", "release"]).output
