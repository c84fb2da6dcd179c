"""Availability alerts: sign-up (one click signed in, double opt-in for a guest), confirmation,
cancelling, and the counts staff see.

Services flush, never commit; the view commits once and emails go out as jobs after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from bookstore.accounts.export import edition_data, moment
from bookstore.accounts.models import User
from bookstore.alerts import tokens
from bookstore.alerts.models import OPEN_STATES, AlertKind, AlertState, StockAlert
from bookstore.catalog.models import Edition, EditionStatus
from bookstore.database import built_once, rowcount
from bookstore.dbtypes import utcnow
from bookstore.digest.services import normalise_email
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.inventory.availability import free_copies
from bookstore.shoptime import shop_today

CONFIRM_MAX_AGE = timedelta(days=7)
# A pending guest alert gets at most one confirmation email in this interval.
RESEND_INTERVAL = timedelta(minutes=10)


def kind_for(edition: Edition, now: datetime) -> AlertKind | None:
    """What a reader can wait for on this edition now: copies (sold out), publication
    (preorder), or nothing (it can be ordered and ships, or it is no longer sold)."""
    if not edition.active or edition.out_of_print:
        return None
    if edition.is_physical and free_copies([edition.id], now).get(edition.id, 0) <= 0:
        return AlertKind.BACK_IN_STOCK
    if edition.status_on(shop_today(now)) is EditionStatus.PREORDER:
        return AlertKind.PUBLICATION
    return None


def _edition(edition_id: int) -> Edition:
    edition = db.session.get(Edition, edition_id)
    if edition is None:
        raise NotFound("That book could not be found.")
    return edition


def _waitable(edition: Edition, now: datetime) -> AlertKind:
    kind = kind_for(edition, now)
    if kind is None:
        if not edition.active or edition.out_of_print:
            raise InvalidInput("That edition is no longer sold, so there is nothing to wait for.")
        raise InvalidInput("That edition can be ordered now: no need to wait.")
    return kind


def _insert(alert: StockAlert) -> StockAlert | None:
    """Add ``alert``; None when a parallel request opened the same one first."""
    savepoint = db.session.begin_nested()
    try:
        db.session.add(alert)
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        return None
    savepoint.commit()
    return alert


def open_alert(user: User, edition_id: int) -> StockAlert | None:
    """The user's open alert for this edition, if any."""
    return db.session.scalar(
        select(StockAlert).where(
            StockAlert.user_id == user.id,
            StockAlert.edition_id == edition_id,
            StockAlert.state.in_(OPEN_STATES),
        )
    )


def open_alert_ids(user: User, edition_ids: Iterable[int]) -> dict[int, int]:
    """The user's open alerts among these editions: edition id -> alert id (one query)."""
    ids = sorted(set(edition_ids))
    if not ids:
        return {}
    rows = db.session.connection().execute(_open_alert_ids(), {"user_id": user.id, "ids": ids})
    return {edition_id: alert_id for edition_id, alert_id in rows}  # noqa: C416  (rows, not pairs)


@built_once  # every signed-in book page asks
def _open_alert_ids():
    return select(StockAlert.edition_id, StockAlert.id).where(
        StockAlert.user_id == bindparam("user_id"),
        StockAlert.edition_id.in_(bindparam("ids", expanding=True)),
        StockAlert.state.in_(OPEN_STATES),
    )


def subscribe_user(user: User, edition_id: int, now: datetime) -> StockAlert:
    """A signed-in reader's alert for ``edition_id`` (one click; asking twice is harmless)."""
    edition = _edition(edition_id)
    existing = open_alert(user, edition_id)
    if existing is not None:
        return existing
    kind = _waitable(edition, now)
    alert = StockAlert(
        edition_id=edition_id, user_id=user.id, kind=kind, state=AlertState.WAITING, created_at=now
    )
    return _insert(alert) or _require(open_alert(user, edition_id))


def _require(alert: StockAlert | None) -> StockAlert:
    if alert is None:
        raise NotFound("That alert could not be found.")
    return alert


def subscribe_guest(raw_email: str, edition_id: int, now: datetime) -> StockAlert | None:
    """A guest's alert, pending until confirmed; returns it when a confirmation email should
    go out, None when nothing is to be sent (already waiting, or asked moments ago).

    The caller answers the same either way, so the form reveals nothing about the address.
    """
    email = normalise_email(raw_email)
    edition = _edition(edition_id)
    kind = _waitable(edition, now)
    alert = db.session.scalar(
        select(StockAlert).where(
            StockAlert.email == email,
            StockAlert.edition_id == edition_id,
            StockAlert.state.in_(OPEN_STATES),
        )
    )
    if alert is None:
        alert = _insert(
            StockAlert(
                edition_id=edition_id,
                email=email,
                kind=kind,
                state=AlertState.PENDING,
                created_at=now,
            )
        )
        if alert is None:
            return None
    elif (
        alert.state is AlertState.WAITING
        or alert.confirmation_sent_at
        and now - alert.confirmation_sent_at < RESEND_INTERVAL
    ):
        return None
    alert.confirmation_sent_at = now
    db.session.flush()
    return alert


def confirmation_token(alert: StockAlert) -> str:
    """The signed token of a guest alert's confirmation link."""
    return tokens.make_token(tokens.CONFIRM, {"id": alert.id, "email": alert.email})


def confirm(token: str, now: datetime) -> StockAlert:
    """Follow a confirmation link: the guest's alert waits from now on (twice is harmless)."""
    data = tokens.read_token(tokens.CONFIRM, token, max_age=int(CONFIRM_MAX_AGE.total_seconds()))
    alert = db.session.get(StockAlert, data.get("id")) if isinstance(data.get("id"), int) else None
    if alert is None or alert.email != data.get("email"):
        raise NotFound("That alert no longer exists. Ask again on the book's page.")
    if alert.state is AlertState.PENDING:
        db.session.execute(
            update(StockAlert)
            .where(StockAlert.id == alert.id, StockAlert.state == AlertState.PENDING)
            .values(state=AlertState.WAITING)
            .execution_options(synchronize_session="fetch")
        )
        db.session.refresh(alert)
    return alert


def stop_token_for(alert: StockAlert) -> str:
    """The signed token of the "stop these alerts" link: it names the reader, not the alert."""
    who = {"user": alert.user_id} if alert.user_id is not None else {"email": alert.email}
    return tokens.make_token(tokens.STOP_ALERTS, who)


def _reader_filter(data: dict):
    if isinstance(data.get("user"), int):
        return StockAlert.user_id == data["user"]
    if isinstance(data.get("email"), str):
        return StockAlert.email == data["email"]
    raise InvalidInput("That link is not valid.")


def open_alerts_for_token(token: str) -> int:
    """How many open alerts the reader of an unsubscribe link has (checks the link)."""
    data = tokens.read_token(tokens.STOP_ALERTS, token)
    return (
        db.session.scalar(
            select(func.count())
            .select_from(StockAlert)
            .where(_reader_filter(data), StockAlert.state.in_(OPEN_STATES))
        )
        or 0
    )


def unsubscribe(token: str, now: datetime) -> int:
    """Cancel every open alert of the reader the link names; how many (twice is harmless)."""
    data = tokens.read_token(tokens.STOP_ALERTS, token)
    return _cancel(_reader_filter(data), now)


def cancel_for_user(user: User, alert_id: int, now: datetime) -> None:
    """The reader stops one of their own alerts."""
    if not _cancel((StockAlert.user_id == user.id) & (StockAlert.id == alert_id), now):
        raise NotFound("That alert has already ended.")


def _cancel(condition, now: datetime) -> int:
    result = db.session.execute(
        update(StockAlert)
        .where(condition, StockAlert.state.in_(OPEN_STATES))
        .values(state=AlertState.CANCELLED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def claim_guest_alerts(user: User) -> str | None:
    """The alerts a guest confirmed with the user's (now confirmed) address join the account,
    where the reader sees and stops them; what the reader is told, or None. One the account
    already has for the same edition ends the guest's, so one email goes out, not two. A guest
    alert never confirmed stays as it is: the address's owner may not have asked for it."""
    now = utcnow()
    guests = (
        StockAlert.user_id.is_(None)
        & (StockAlert.email == normalise_email(user.email))
        & (StockAlert.state == AlertState.WAITING)
    )
    owned = select(StockAlert.edition_id).where(
        StockAlert.user_id == user.id, StockAlert.state.in_(OPEN_STATES)
    )
    try:
        with db.session.begin_nested():
            _cancel(guests & StockAlert.edition_id.in_(owned), now)
            moved = db.session.execute(
                update(StockAlert)
                .where(guests)
                .values(user_id=user.id, email=None)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        # The reader set one of the same editions' alerts this moment: they join next login.
        return None
    count = rowcount(moved)
    if not count:
        return None
    alerts, verb = ("1 stock alert", "is") if count == 1 else (f"{count} stock alerts", "are")
    return f"{alerts} you set as a guest with {user.email} {verb} now in your account."


def alerts_data(user: User) -> list[dict]:
    """Every alert of the account, open or ended, for their data file: those set while logged
    in, and those set as a guest that joined it once its address was confirmed.

    Other alerts set as a guest are kept by address, which an account does not prove until it
    is confirmed: they are not the account's, and their emails stop them."""
    alerts = db.session.scalars(
        select(StockAlert).where(StockAlert.user_id == user.id).order_by(StockAlert.id)
    )
    return [
        {
            **edition_data(alert.edition),
            "kind": alert.kind.value,
            "state": alert.state.value,
            "made_at": moment(alert.created_at),
            "ended_at": moment(alert.ended_at),
        }
        for alert in alerts
    ]


def alerts_of(user: User) -> list[StockAlert]:
    """The user's open alerts, newest first."""
    return list(
        db.session.scalars(
            select(StockAlert)
            .where(StockAlert.user_id == user.id, StockAlert.state.in_(OPEN_STATES))
            .order_by(StockAlert.id.desc())
        )
    )


def waiting_counts(edition_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Readers waiting (confirmed) per edition, for the staff screens."""
    query = (
        select(StockAlert.edition_id, func.count())
        .where(StockAlert.state == AlertState.WAITING)
        .group_by(StockAlert.edition_id)
    )
    if edition_ids is not None:
        query = query.where(StockAlert.edition_id.in_(list(edition_ids)))
    return {row[0]: row[1] for row in db.session.execute(query)}


def summary_by_edition(since: datetime) -> list[tuple[Edition, dict[str, int]]]:
    """Per edition with any alert: readers waiting, guests not yet confirmed, and emails sent
    since ``since``; most waiting first (the staff list)."""
    rows = db.session.execute(
        select(StockAlert.edition_id, StockAlert.state, func.count())
        .where(StockAlert.state.in_(OPEN_STATES) | (StockAlert.ended_at >= since))
        .group_by(StockAlert.edition_id, StockAlert.state)
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for edition_id, state, count in rows:
        counts.setdefault(edition_id, {"waiting": 0, "pending": 0, "sent": 0, "cancelled": 0})
        counts[edition_id][AlertState(state).value] = count
    editions = {
        e.id: e for e in db.session.scalars(select(Edition).where(Edition.id.in_(list(counts))))
    }
    ordered = sorted(counts.items(), key=lambda item: (-item[1]["waiting"], item[0]))
    return [(editions[eid], figures) for eid, figures in ordered if eid in editions]


def cancel_for_edition(edition_id: int, now: datetime) -> int:
    """Staff stop every open alert of an edition (e.g. it will not come back); how many."""
    return _cancel(StockAlert.edition_id == edition_id, now)


def drop_unconfirmed(now: datetime) -> int:
    """End guest alerts whose confirmation link has expired unused (the hourly check)."""
    result = db.session.execute(
        update(StockAlert)
        .where(
            StockAlert.state == AlertState.PENDING,
            StockAlert.created_at < now - CONFIRM_MAX_AGE,
        )
        .values(state=AlertState.CANCELLED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)
