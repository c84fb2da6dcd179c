"""PostgreSQL: two workers' schedules queueing cart reminders at the same moment remind each
cart once."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.jobs import Job, schedules
from tests.checkout.helpers import make_cart
from tests.factories import make_book, make_user

pytestmark = pytest.mark.postgres


def test_two_schedulers_at_once_remind_each_cart_once(pg_app, smtp_server):
    pg_app.config.update(smtp_server.config)
    with pg_app.app_context():
        edition = make_book("Murder at the Dacha", on_hand=50).editions[0]
        for n in range(5):
            make_cart((edition, 1), user=make_user(f"shopper{n}@example.com"))
        db.session.commit()
    later = utcnow() + timedelta(hours=25)
    barrier = threading.Barrier(2)
    queued = []

    def run():
        barrier.wait()
        with pg_app.app_context():
            queued.append(schedules.queue_cart_reminders(now=later))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(queued) == 5
    with pg_app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Job).where(Job.kind == "cart_reminder")
            )
            == 5
        )
    assert sorted(str(m["To"]) for m in smtp_server.messages) == [
        f"shopper{n}@example.com" for n in range(5)
    ]
