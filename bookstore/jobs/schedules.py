"""Work that runs by itself on the worker's clock: checkout expiry, the weekly digest, the cart
purge, availability alerts and cart reminders. Each is also a command for operators (``flask
checkout expire-stale``, ``flask digest send``, ``flask carts purge``, ``flask alerts
release``, ``flask alerts remind-carts``)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from flask import current_app

from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.shoptime import shop_zone

log = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def clock() -> datetime:
    """The schedules' notion of now (tests move it)."""
    return utcnow()


def expire_lapsed_checkouts(*, now: datetime) -> Counter:
    """Release lapsed checkouts' stock and close them (``flask checkout expire-stale``)."""
    from bookstore.checkout.expiry import expire_stale

    counts = expire_stale(now=now, config=current_app.config)
    db.session.commit()
    return counts


def digest_weekday(config) -> int:
    """DIGEST_WEEKDAY as 0 (Monday) to 6 (Sunday); RuntimeError naming the setting if wrong."""
    name = str(config.get("DIGEST_WEEKDAY") or "thursday").strip().lower()
    for index, day in enumerate(WEEKDAYS):
        if name in (day, day[:3]):
            return index
    raise RuntimeError(f"DIGEST_WEEKDAY must be a day of the week, not {name!r}")


def digest_week_due(now: datetime, config) -> str | None:
    """The ISO week whose digest is due at ``now``: on DIGEST_WEEKDAY from DIGEST_HOUR to
    midnight in the shop's time zone (later checks that day send only to whoever is left)."""
    from bookstore.digest.builder import week_of

    local = now.astimezone(shop_zone())
    if local.weekday() != digest_weekday(config) or local.hour < int(config["DIGEST_HOUR"]):
        return None
    return week_of(local.date())


def send_weekly_digest_if_due(*, now: datetime) -> int:
    """Queue this week's digest for every subscriber without it, when it is due; how many."""
    from bookstore.digest.builder import build_digest
    from bookstore.digest.sender import queue_copies

    week = digest_week_due(now, current_app.config)
    if week is None:
        return 0
    digest = build_digest(week, now)
    if digest.is_empty:
        log.info("The %s digest has nothing in it: not sent", week)
        return 0
    queued = queue_copies(digest, now).queued
    if queued:
        log.info("Queued %d copies of the %s digest", queued, week)
    return queued


def purge_old_guest_carts() -> int:
    """Delete guest carts unchanged for CART_GUEST_TTL_DAYS (``flask carts purge``)."""
    from bookstore.cart.services import purge_guest_carts

    days = int(current_app.config["CART_GUEST_TTL_DAYS"])
    deleted = purge_guest_carts(older_than=timedelta(days=days))
    db.session.commit()
    return deleted


def release_due_alerts(*, now: datetime) -> int:
    """End availability alerts whose edition became available without a stock arrival (a
    publication date that came, a hold given back), and guests' alerts never confirmed;
    ``flask alerts release``."""
    from bookstore.alerts.release import release_due
    from bookstore.alerts.services import drop_unconfirmed

    drop_unconfirmed(now)
    released = release_due(now)
    db.session.commit()
    return released


def queue_cart_reminders(*, now: datetime) -> int:
    """Queue the one reminder of each cart left for CART_REMINDER_HOURS;
    ``flask alerts remind-carts``."""
    from bookstore.alerts.reminders import queue_reminders

    queued = queue_reminders(now)
    db.session.commit()
    return queued
