"""Scheduled work runs by itself: the weekly digest at the shop's local weekday and hour,
lapsed checkouts released, with no command run by hand."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bookstore.catalog.models import Edition
from bookstore.checkout.models import Order
from bookstore.checkout.states import OrderState
from bookstore.digest.models import DeliveryState, DigestDelivery
from bookstore.extensions import db
from bookstore.jobs import schedules
from bookstore.jobs.queue import huey_for, start_in_process
from bookstore.journal.models import Post
from tests.checkout.shoppers import Buyer
from tests.digest.helpers import make_subscriber
from tests.factories import make_book

# Thursday 3 December 2026, 9:00 in New York (EST, UTC-5), ISO week 2026-W49.
THURSDAY_9AM = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "config", "due"),
    [
        (THURSDAY_9AM, {}, "2026-W49"),
        (THURSDAY_9AM - timedelta(minutes=1), {}, None),  # 8:59 in New York
        (THURSDAY_9AM + timedelta(hours=14, minutes=59), {}, "2026-W49"),  # 23:59 local
        (THURSDAY_9AM + timedelta(hours=15), {}, None),  # Friday already in New York
        (THURSDAY_9AM, {"SHOP_TIMEZONE": "Europe/Moscow"}, "2026-W49"),  # 17:00 in Moscow
        (THURSDAY_9AM + timedelta(hours=10), {"SHOP_TIMEZONE": "Europe/Moscow"}, None),  # Fri
        (THURSDAY_9AM - timedelta(days=1), {}, None),  # Wednesday
        (THURSDAY_9AM - timedelta(days=1), {"DIGEST_WEEKDAY": "wed"}, "2026-W49"),
        (THURSDAY_9AM, {"DIGEST_HOUR": 10}, None),
        # Summer time: 9:00 in New York is 13:00 UTC.
        (datetime(2026, 7, 2, 13, 0, tzinfo=UTC), {}, "2026-W27"),
    ],
)
def test_the_digest_is_due_on_the_weekday_and_hour_of_the_shop(make_app, moment, config, due):
    app = make_app(**config)
    with app.app_context():
        assert schedules.digest_week_due(moment, app.config) == due


def test_a_wrong_digest_weekday_is_refused_at_start(make_app):
    with pytest.raises(RuntimeError, match="DIGEST_WEEKDAY"):
        make_app(DIGEST_WEEKDAY="someday")


def test_the_periodic_schedules_fire_at_their_times(make_app):
    app = make_app(JOBS_RUN_INLINE=False)
    huey = huey_for(app)

    def due_at(moment):
        return sorted(task.name for task in huey.read_periodic(moment.replace(tzinfo=None)))

    assert due_at(THURSDAY_9AM) == [
        "dispatch_every_30_seconds",
        "expire_lapsed_checkouts",
        "queue_cart_reminders",
        "weekly_digest",
    ]
    assert due_at(THURSDAY_9AM + timedelta(minutes=5)) == [
        "dispatch_every_30_seconds",
        "expire_lapsed_checkouts",
    ]
    assert due_at(THURSDAY_9AM + timedelta(minutes=1)) == ["dispatch_every_30_seconds"]
    assert "purge_guest_carts" in due_at(datetime(2026, 12, 4, 3, 30, tzinfo=UTC))
    assert "release_due_alerts" in due_at(THURSDAY_9AM + timedelta(minutes=7))


def test_the_worker_releases_a_lapsed_checkout_and_sends_the_digest_by_itself(
    shop,  # noqa: F811
    smtp_server,
    monkeypatch,
):
    shop.config.update(**smtp_server.config, JOBS_RUN_INLINE=False)
    with shop.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=5).editions[0].id
        make_subscriber("reader@example.com")
        db.session.commit()
    checkout = Buyer(shop).checkout(edition_id, 2)
    with shop.app_context():
        assert db.session.get(Edition, edition_id).reserved == 2
        # The clock moves to the next Thursday at 9:00 in New York: the hold has lapsed.
        now = datetime.now(UTC)
        days = (3 - now.weekday()) % 7 or 7
        moved = (now + timedelta(days=days)).replace(hour=14, minute=0, second=0, microsecond=0)
        db.session.add(
            Post(title="Chekhov in Yalta", slug="chekhov", published_at=moved - timedelta(days=1))
        )
        db.session.commit()

    huey = huey_for(shop)
    real_read_periodic = huey.read_periodic
    monkeypatch.setattr(
        huey, "read_periodic", lambda _ts: real_read_periodic(moved.replace(tzinfo=None))
    )
    monkeypatch.setattr(schedules, "clock", lambda: moved)

    def expired() -> bool:
        with shop.app_context():
            return (
                db.session.scalar(select(Order.state).where(Order.reference == checkout.reference))
                is OrderState.EXPIRED
            )

    consumer = start_in_process(shop, workers=2)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            smtp_server.to("reader@example.com") and expired()
        ):
            time.sleep(0.2)
    finally:
        consumer.stop(graceful=True)

    [digest] = smtp_server.to("reader@example.com")
    assert "Chekhov in Yalta" in digest.get_body(("plain",)).get_content()
    with shop.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == checkout.reference))
        assert order.state is OrderState.EXPIRED
        assert db.session.get(Edition, edition_id).reserved == 0
        assert db.session.scalars(select(DigestDelivery.state)).all() == [DeliveryState.SENT]
