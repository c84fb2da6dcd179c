"""The mail server down while orders are paid and the digest goes out, then back: every
message arrives, exactly once."""

from datetime import timedelta

from sqlalchemy import select

from bookstore.dbtypes import utcnow
from bookstore.digest.builder import build_digest, week_of
from bookstore.digest.models import DeliveryState, DigestDelivery
from bookstore.digest.sender import queue_copies
from bookstore.extensions import db
from bookstore.jobs import Job, JobState, run_due
from bookstore.journal.models import Post
from bookstore.mail import send_after_commit
from tests.digest.helpers import make_subscriber
from tests.factories import make_user

WELCOME = {"name": "Anna", "account_url": "http://x/account", "reset_url": "http://x/r"}
BUYERS = [f"buyer{n}@example.com" for n in range(3)]
READERS = [f"reader{n}@example.com" for n in range(2)]


def test_smtp_down_then_up_every_message_arrives_exactly_once(make_app, switchable_smtp):
    app = make_app(**switchable_smtp.config, MAIL_TIMEOUT_SECONDS=2)
    now = utcnow()
    with app.app_context():
        # Orders paid while the mail server is down: each confirmation is queued in the
        # transaction that records the change (here, a stand-in change: a new account).
        for n, email in enumerate(BUYERS):
            make_user(email)
            send_after_commit(
                email, f"Order {n} confirmed", "welcome", job_key=f"order:{n}", **WELCOME
            )
            db.session.commit()  # the first attempt runs now and fails
        for email in READERS:
            make_subscriber(email)
        db.session.add(Post(title="Chekhov", slug="chekhov", published_at=now - timedelta(days=1)))
        db.session.commit()
        assert queue_copies(build_digest(week_of(now), now), now).queued == 2

        jobs = db.session.scalars(select(Job)).all()
        assert [(j.state, j.attempts) for j in jobs] == [(JobState.PENDING, 1)] * 5
        assert all("Connection refused" in j.last_error for j in jobs)
        # Ten minutes on, still down: the retries fail too, and nothing is lost.
        assert run_due(now=now + timedelta(minutes=10)) == {"retry": 5}

    switchable_smtp.start()
    with app.app_context():
        assert run_due(now=now + timedelta(hours=1)) == {"done": 5}
        assert run_due(now=now + timedelta(days=2)) == {}
        deliveries = db.session.scalars(select(DigestDelivery.state)).all()
    assert deliveries == [DeliveryState.SENT] * 2
    assert switchable_smtp.recipients() == sorted(BUYERS + READERS)
    subjects = sorted(str(m["Subject"]) for m in switchable_smtp.server.messages)
    assert subjects[:3] == ["Order 0 confirmed", "Order 1 confirmed", "Order 2 confirmed"]
    assert all("weekly" in s for s in subjects[3:])
    # Every attempt of a message carries the same Message-ID, fixed when it was queued.
    assert len({m["Message-ID"] for m in switchable_smtp.server.messages}) == 5
