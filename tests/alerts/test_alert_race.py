"""PostgreSQL: two staff receipts of the same edition at the same moment (and the hourly check
racing them) send each waiting reader exactly one email."""

import threading

import pytest
from sqlalchemy import func, select

from bookstore.accounts.models import Role
from bookstore.catalog.models import Edition
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.jobs import Job, schedules
from tests.alerts.helpers import alert_states, sold_out_edition, waiting_alert
from tests.factories import make_user
from tests.staff.helpers import log_in

pytestmark = pytest.mark.postgres

READERS = [f"reader{n}@example.com" for n in range(6)]


def test_two_staff_receipts_at_once_email_each_reader_once(pg_app, smtp_server):
    pg_app.config.update(smtp_server.config)
    with pg_app.app_context():
        edition_id = sold_out_edition()
        for address in READERS:
            waiting_alert(edition_id, email=address)
        staff = [make_user(f"staff{n}@example.com", role=Role.STAFF) for n in range(2)]
        db.session.commit()
        staff_ids = [user.get_id() for user in staff]
    barrier = threading.Barrier(3)
    statuses = []

    def receive(user_id):
        client = pg_app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user_id, True
        barrier.wait()
        response = client.post(
            f"/staff/editions/{edition_id}/receive", data={"receive-quantity": "2"}
        )
        statuses.append(response.status_code)

    def hourly_check():
        barrier.wait()
        with pg_app.app_context():
            schedules.release_due_alerts(now=utcnow())

    threads = [threading.Thread(target=receive, args=(uid,)) for uid in staff_ids]
    threads.append(threading.Thread(target=hourly_check))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert statuses == [303, 303]
    with pg_app.app_context():
        assert db.session.get(Edition, edition_id).on_hand == 4
        jobs = db.session.scalar(
            select(func.count()).select_from(Job).where(Job.key.like("stock-alert:%"))
        )
    assert jobs == len(READERS)
    assert sorted(str(m["To"]) for m in smtp_server.messages) == sorted(READERS)
    assert alert_states(pg_app, edition_id) == ["sent"] * len(READERS)


def test_many_receipts_racing_still_send_once(pg_app, smtp_server):
    pg_app.config.update(smtp_server.config)
    with pg_app.app_context():
        edition_id = sold_out_edition()
        waiting_alert(edition_id, email="only@example.com")
        staff = make_user("staff@example.com", role=Role.STAFF)
        db.session.commit()
        staff_id = staff.get_id()
    barrier = threading.Barrier(6)

    def receive():
        client = pg_app.test_client()
        log_in(client, type("U", (), {"get_id": lambda self: staff_id})())
        barrier.wait()
        client.post(f"/staff/editions/{edition_id}/receive", data={"receive-quantity": "1"})

    threads = [threading.Thread(target=receive) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with pg_app.app_context():
        assert db.session.get(Edition, edition_id).on_hand == 6
    assert [str(m["To"]) for m in smtp_server.messages] == ["only@example.com"]
