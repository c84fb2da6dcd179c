"""Staff see how many readers wait for each edition and can stop an edition's alerts."""

from bookstore.accounts.models import Role
from bookstore.catalog.models import Edition
from bookstore.extensions import db
from bookstore.staff.models import AuditEntry
from tests.alerts.helpers import alert_states, reader_client, sold_out_edition, waiting_alert


def staff(app):
    return reader_client(app, "staff@example.com", role=Role.STAFF)[0]


def test_waiting_counts_on_the_list_the_edition_and_the_book_screens(app):
    with app.app_context():
        edition_id = sold_out_edition()
        for n in range(3):
            waiting_alert(edition_id, email=f"r{n}@example.com")
        book_id = db.session.get(Edition, edition_id).book_id
        db.session.commit()
    client = staff(app)
    listing = client.get("/staff/alerts")
    assert listing.status_code == 200
    assert "Murder at the Dacha" in listing.text
    assert "<td>3</td>" in listing.text
    assert "<strong>3</strong> readers waiting" in client.get(f"/staff/editions/{edition_id}").text
    assert "3 waiting" in client.get(f"/staff/books/{book_id}").text


def test_staff_stop_an_editions_alerts_and_it_is_audited(app, outbox):
    with app.app_context():
        edition_id = sold_out_edition()
        waiting_alert(edition_id, email="r@example.com")
        db.session.commit()
    client = staff(app)
    response = client.post(f"/staff/editions/{edition_id}/alerts/stop")
    assert response.status_code == 303
    assert alert_states(app, edition_id) == ["cancelled"]
    with app.app_context():
        assert db.session.query(AuditEntry).filter_by(action="alerts.stop").count() == 1
    assert len(outbox) == 0


def test_customers_never_reach_the_alerts_screen(app):
    client, _ = reader_client(app, "c@example.com")
    assert client.get("/staff/alerts").status_code == 403
