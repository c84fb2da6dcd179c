"""Ending alerts when their edition becomes available, each with exactly one email.

The alerts of an edition end with one conditional UPDATE (``waiting`` -> ``sent``) in the
transaction that made the edition available, and each ended alert queues its email as a job
(keyed by the alert) in that same transaction. Two receipts at once: the second waits on the
edition's row, then finds no alert still waiting; PostgreSQL re-checks ``state = 'waiting'``
on rows changed under it. A rollback takes back the stock, the ended alerts and the emails.

An alert is ready when its edition can be ordered now: copies free to sell (or an ebook) for
a sold-out alert; for a preorder alert, the publication date has come as well (checked by the
hourly schedule, ``release_due``, and on every stock arrival).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update

from bookstore.accounts.models import User
from bookstore.alerts.models import AlertKind, AlertState, StockAlert
from bookstore.alerts.services import stop_token_for
from bookstore.catalog.models import Edition, EditionStatus
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.inventory.availability import free_copies
from bookstore.links import external_url
from bookstore.mail import send_after_commit
from bookstore.shoptime import shop_today


def on_stock_added(app: Flask, edition_ids: list[int], **_extra: Any) -> None:
    """Receiver of inventory's ``stock_added``: release what the new copies make ready."""
    release_ready(edition_ids, utcnow())


def ready_kinds(edition: Edition, free: int | None, now: datetime) -> list[AlertKind]:
    """The kinds of alert this edition answers now (none while it cannot be ordered)."""
    if not edition.active or edition.out_of_print:
        return []
    if edition.is_physical and (free or 0) <= 0:
        return []
    if edition.status_on(shop_today(now)) is EditionStatus.PREORDER:
        return [AlertKind.BACK_IN_STOCK]
    return [AlertKind.BACK_IN_STOCK, AlertKind.PUBLICATION]


def release_ready(edition_ids: Iterable[int], now: datetime) -> int:
    """End the waiting alerts these editions answer now and queue one email each; how many.

    Runs in the caller's transaction (flushes, never commits)."""
    ids = sorted(set(edition_ids))
    if not ids:
        return 0
    waiting = set(
        db.session.scalars(
            select(StockAlert.edition_id)
            .where(StockAlert.edition_id.in_(ids), StockAlert.state == AlertState.WAITING)
            .distinct()
        )
    )
    if not waiting:
        return 0
    free = free_copies(waiting, now)
    sent = 0
    for edition_id in sorted(waiting):
        edition = db.session.get(Edition, edition_id)
        if edition is None:
            continue
        kinds = ready_kinds(edition, free.get(edition_id), now)
        if kinds:
            sent += _end_and_email(edition, kinds, now)
    return sent


def _end_and_email(edition: Edition, kinds: list[AlertKind], now: datetime) -> int:
    ended = (
        db.session.execute(
            update(StockAlert)
            .where(
                StockAlert.edition_id == edition.id,
                StockAlert.state == AlertState.WAITING,
                StockAlert.kind.in_(kinds),
            )
            .values(state=AlertState.SENT, ended_at=now)
            .returning(StockAlert.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    if not ended:
        return 0
    alerts = db.session.scalars(select(StockAlert).where(StockAlert.id.in_(ended))).all()
    users = {
        user.id: user
        for user in db.session.scalars(
            select(User).where(User.id.in_({a.user_id for a in alerts if a.user_id}))
        )
    }
    for alert in alerts:
        user = users.get(alert.user_id) if alert.user_id else None
        address = user.email if user is not None else alert.email
        if address:
            _queue_email(alert, edition, address)
    return len(alerts)


def _queue_email(alert: StockAlert, edition: Edition, address: str) -> None:
    stop_url = external_url("alerts.unsubscribe", token=stop_token_for(alert))
    title = edition.book.title
    send_after_commit(
        address,
        f"{title} is available to order at {current_app.config['SHOP_NAME']}",
        "stock_alert",
        headers={
            "List-Unsubscribe": f"<{stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        job_key=f"stock-alert:{alert.id}",
        edition=edition,
        book_url=external_url("catalog.book", slug=edition.book.slug),
        published=alert.kind is AlertKind.PUBLICATION,
        unsubscribe_url=stop_url,
    )


def release_due(now: datetime) -> int:
    """The hourly check: publication dates that have come, and copies freed without a stock
    arrival (a checkout's hold that lapsed or was given back)."""
    edition_ids = db.session.scalars(
        select(StockAlert.edition_id).where(StockAlert.state == AlertState.WAITING).distinct()
    ).all()
    return release_ready(edition_ids, now)
