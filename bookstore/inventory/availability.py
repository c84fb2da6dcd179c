"""Copies free to sell: ``on_hand - reserved``, plus the copies of holds whose time is up.

One definition for the catalog, the cart, checkout and staff screens; none of it waits for a
lapsed hold to be released.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, select

from bookstore.catalog.models import Edition, Format
from bookstore.database import built_once
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.inventory.models import StockHold


def free_copies(edition_ids: Iterable[int], now: datetime | None = None) -> dict[int, int]:
    """Copies free to sell now, per physical edition among ``edition_ids``."""
    ids = list(set(edition_ids))
    if not ids:
        return {}
    now = now or utcnow()
    lapsed = dict(
        db.session.execute(
            select(StockHold.edition_id, func.sum(StockHold.quantity))
            .where(StockHold.edition_id.in_(ids), StockHold.expires_at <= now)
            .group_by(StockHold.edition_id)
        ).all()
    )
    rows = db.session.execute(
        select(Edition.id, Edition.on_hand, Edition.reserved).where(
            Edition.id.in_(ids), Edition.format != Format.EBOOK
        )
    )
    return {
        eid: max(on_hand - reserved + int(lapsed.get(eid) or 0), 0)
        for eid, on_hand, reserved in rows
    }


def free_for_cart(
    cart_id: int, edition_ids: Iterable[int], now: datetime | None = None
) -> dict[int, int]:
    """Copies a cart may order now: the free copies, plus those its own unpaid checkout holds
    (its next checkout replaces that one). One statement: every price of a cart asks."""
    ids = list(set(edition_ids))
    if not ids:
        return {}
    values = {"ids": ids, "cart_id": cart_id, "now": now or utcnow()}
    rows = db.session.execute(_free_for_cart(), values)
    return {eid: max(free, 0) + int(held) for eid, free, held in rows}


@built_once
def _free_for_cart() -> Select[int, int, int]:
    now: BindParameter[datetime] = bindparam("now")
    lapsed = _held(StockHold.expires_at <= now)
    own = _held(StockHold.cart_id == bindparam("cart_id"), StockHold.expires_at > now)
    return select(Edition.id, Edition.on_hand - Edition.reserved + lapsed, own).where(
        Edition.id.in_(bindparam("ids", expanding=True)), Edition.format != Format.EBOOK
    )


def _held(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
    """Copies held on the edition of the row by the holds that meet ``conditions``."""
    return (
        select(func.coalesce(func.sum(StockHold.quantity), 0))
        .where(StockHold.edition_id == Edition.id, *conditions)
        .correlate(Edition)
        .scalar_subquery()
    )


def lapsed_snapshot(now: datetime) -> tuple[dict[int, int], datetime | None]:
    """Copies held by holds whose time is up, per edition (free to sell again), and when the
    next running hold lapses; one query over the holds table (small: open checkouts only)."""
    lapsed: dict[int, int] = defaultdict(int)
    next_lapse = None
    # Every page asks: plain rows on the session's connection, without the ORM session layer.
    rows = db.session.connection().execute(_every_hold())
    for edition_id, quantity, until in rows:
        if until <= now:
            lapsed[edition_id] += quantity
        elif next_lapse is None or until < next_lapse:
            next_lapse = until
    return dict(lapsed), next_lapse


@built_once
def _every_hold() -> Select[int, int, datetime]:
    """Every hold's edition, copies and end: read by every page that shows stock."""
    return select(StockHold.edition_id, StockHold.quantity, StockHold.expires_at)


def free_copies_sql(now: datetime | None = None) -> ColumnElement[int]:
    """An edition's free copies as SQL (``on_hand - reserved`` plus its lapsed holds), for
    lists that filter or sort by it (staff screens)."""
    return Edition.on_hand - Edition.reserved + _held(StockHold.expires_at <= (now or utcnow()))
