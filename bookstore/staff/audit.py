"""Recording and reading the audit log. Every staff change calls ``record``."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from bookstore.accounts.models import User
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.shoptime import from_shop_time
from bookstore.staff.models import AuditEntry


def snapshot(obj, fields: list[str]) -> dict:
    """The named attributes of ``obj`` as JSON-safe values, for the before/after columns."""
    return {name: _json_value(getattr(obj, name)) for name in fields}


def _json_value(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def record(
    actor: User | None,
    action: str,
    entity,
    *,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
    entity_type: str | None = None,
) -> AuditEntry:
    """Add an audit entry for ``action`` on ``entity`` (flushed with the change, never alone)."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        entity_type=entity_type or type(entity).__name__.lower(),
        entity_id=str(getattr(entity, "id", entity)),
        summary=summary[:300],
        before=before,
        after=after,
        created_at=utcnow(),
    )
    db.session.add(entry)
    return entry


def changed_fields(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, so the log shows what actually changed."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def audit_query(
    *,
    action: str | None = None,
    actor_email: str | None = None,
    entity_type: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Select:
    """The filtered log, newest first."""
    query = (
        select(AuditEntry)
        .options(selectinload(AuditEntry.actor))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if actor_email:
        query = query.join(User, AuditEntry.actor_id == User.id).where(
            User.email == actor_email.strip().lower()
        )
    if since:
        query = query.where(AuditEntry.created_at >= _start_of(since))
    if until:
        query = query.where(AuditEntry.created_at < _start_of(until + timedelta(days=1)))
    return query


def _start_of(day: date) -> datetime:
    """Midnight at the start of ``day`` where the shop is (staff filter by the shop's days)."""
    return from_shop_time(datetime.combine(day, time.min))
