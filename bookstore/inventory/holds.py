"""Holding copies for a checkout, giving them back, and selling them: each exactly once.

A hold is a set of ``stock_holds`` rows plus the same copies counted in ``editions.reserved``.
Every change is a conditional UPDATE or a ``DELETE ... RETURNING``: of two callers releasing
(or selling) the same hold, only the one whose DELETE returned the rows changes the counts.

Lapsed holds are free to sell at once: ``hold_copies`` takes back, in the same UPDATE per
edition, the copies of lapsed holds on the editions it reserves, and ``availability`` counts
them as free without waiting for anyone to release them.

Locks are always taken in the same order -- hold rows, then edition rows by id -- so
concurrent checkouts queue instead of deadlocking.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import Delete, delete, select, update

from bookstore.catalog.models import Book, Edition, Format, StockMovement
from bookstore.database import rowcount
from bookstore.errors import OutOfStock
from bookstore.extensions import db
from bookstore.inventory.models import StockHold
from bookstore.page_cache import stock_only

_NO_SYNC = {"synchronize_session": False}


def hold_copies(
    order_id: int,
    quantities: Mapping[int, int],
    *,
    until: datetime,
    now: datetime,
    cart_id: int | None = None,
    new_checkout: bool = False,
) -> None:
    """Hold copies of physical editions (edition id -> quantity) for a checkout, all or nothing.

    Any hold the checkout already had is given back first (a ``new_checkout``, made in this
    transaction, has none). Raises OutOfStock naming the first title that is short; the
    caller rolls back.
    """
    if not new_checkout:
        release_hold(order_id)
    wanted = {eid: n for eid, n in quantities.items() if n > 0}
    if not wanted:
        return
    back = _take_back_lapsed(wanted, now)
    for edition_id in sorted(set(wanted) | set(back)):
        n, freed = wanted.get(edition_id, 0), back.get(edition_id, 0)
        result = db.session.execute(
            update(Edition)
            .where(
                Edition.id == edition_id,
                Edition.format != Format.EBOOK,
                Edition.on_hand - (Edition.reserved - freed) >= n,
            )
            .values(reserved=Edition.reserved - freed + n),
            execution_options=stock_only(edition_id, **_NO_SYNC),
        )
        if rowcount(result) != 1:
            raise OutOfStock(
                f"Sorry, {_title(edition_id) or 'one of the books'} is sold out "
                "(or fewer copies are left than you asked for).",
                edition_id=edition_id,
            )
    db.session.add_all(
        StockHold(order_id=order_id, cart_id=cart_id, edition_id=eid, quantity=n, expires_at=until)
        for eid, n in sorted(wanted.items())
    )
    db.session.flush()
    refresh_loaded_counts(set(wanted) | set(back))


def release_hold(order_id: int, *, lapsed_by: datetime | None = None) -> bool:
    """Give back the copies a checkout holds; True if this call gave any back.

    With ``lapsed_by``, only a hold whose time was up by then is given back (a fresh hold
    taken meanwhile by a retried payment is left alone).
    """
    stmt = delete(StockHold).where(StockHold.order_id == order_id)
    if lapsed_by is not None:
        stmt = stmt.where(StockHold.expires_at <= lapsed_by)
    freed = _delete_returning(stmt)
    _unreserve(freed)
    return bool(freed)


def release_lapsed(now: datetime, *, edition_ids: Iterable[int] | None = None) -> list[int]:
    """Give back every hold whose time is up (only those on ``edition_ids`` when given).

    Returns the ids of the checkouts (orders) whose copies were given back.
    """
    stmt = delete(StockHold).where(StockHold.expires_at <= now)
    if edition_ids is not None:
        stmt = stmt.where(StockHold.edition_id.in_(list(edition_ids)))
    rows = db.session.execute(
        stmt.returning(StockHold.order_id, StockHold.edition_id, StockHold.quantity),
        execution_options=_NO_SYNC,
    ).all()
    freed: dict[int, int] = defaultdict(int)
    for _, edition_id, quantity in rows:
        freed[edition_id] += quantity
    _unreserve(freed)
    return sorted({order_id for order_id, _, _ in rows})


def extend_hold(order_id: int, until: datetime) -> None:
    """Keep a checkout's copies until ``until`` (a delayed payment is on its way)."""
    db.session.execute(
        update(StockHold).where(StockHold.order_id == order_id).values(expires_at=until),
        execution_options=_NO_SYNC,
    )


def sell_copies(
    order_id: int, quantities: Mapping[int, int], *, actor_id: int | None = None
) -> None:
    """Turn a paid checkout's copies into sales: on_hand and reserved go down, one ledger row
    per edition. Copies whose hold was given back meanwhile are taken from free stock; when
    they are no longer there, OutOfStock is raised and nothing is changed.
    """
    wanted = {eid: n for eid, n in quantities.items() if n > 0}
    # Lock the hold rows first (PostgreSQL; SQLite holds the database's write lock already).
    held = dict(
        db.session.execute(
            select(StockHold.edition_id, StockHold.quantity)
            .where(StockHold.order_id == order_id)
            .order_by(StockHold.id)
            .with_for_update()
        ).all()
    )
    done: list[tuple[int, int, int]] = []
    for edition_id in sorted(set(wanted) | set(held)):
        n, from_hold = wanted.get(edition_id, 0), held.get(edition_id, 0)
        extra = max(n - from_hold, 0)
        result = db.session.execute(
            update(Edition)
            .where(Edition.id == edition_id, Edition.on_hand - Edition.reserved >= extra)
            .values(on_hand=Edition.on_hand - n, reserved=Edition.reserved - from_hold),
            execution_options=stock_only(edition_id, **_NO_SYNC),
        )
        if rowcount(result) != 1:
            # Undo this call's own changes in the same transaction, then refuse.
            for undo_id, undo_n, undo_held in done:
                db.session.execute(
                    update(Edition)
                    .where(Edition.id == undo_id)
                    .values(
                        on_hand=Edition.on_hand + undo_n, reserved=Edition.reserved + undo_held
                    ),
                    execution_options=stock_only(undo_id, **_NO_SYNC),
                )
            refresh_loaded_counts(set(wanted) | set(held))
            raise OutOfStock(
                f"{_title(edition_id) or 'A book'} sold out before the payment arrived.",
                edition_id=edition_id,
            )
        done.append((edition_id, n, from_hold))
    db.session.execute(
        delete(StockHold).where(StockHold.order_id == order_id), execution_options=_NO_SYNC
    )
    db.session.add_all(
        StockMovement(edition_id=eid, delta=-n, reason="sale", order_id=order_id, actor_id=actor_id)
        for eid, n in sorted(wanted.items())
    )
    db.session.flush()
    refresh_loaded_counts(set(wanted) | set(held))


def _take_back_lapsed(editions: Iterable[int], now: datetime) -> dict[int, int]:
    """Delete the lapsed holds on these editions; copies freed per edition (not yet counted)."""
    return _delete_returning(
        delete(StockHold).where(
            StockHold.edition_id.in_(list(editions)), StockHold.expires_at <= now
        )
    )


def _delete_returning(stmt: Delete) -> dict[int, int]:
    rows = db.session.execute(
        stmt.returning(StockHold.edition_id, StockHold.quantity), execution_options=_NO_SYNC
    ).all()
    freed: dict[int, int] = defaultdict(int)
    for edition_id, quantity in rows:
        freed[edition_id] += quantity
    return dict(freed)


def _unreserve(freed: Mapping[int, int]) -> None:
    for edition_id in sorted(freed):
        db.session.execute(
            update(Edition)
            .where(Edition.id == edition_id)
            .values(reserved=Edition.reserved - freed[edition_id]),
            execution_options=stock_only(edition_id, **_NO_SYNC),
        )
    refresh_loaded_counts(freed)


def _title(edition_id: int) -> str | None:
    return db.session.scalar(
        select(Book.title).join(Edition, Edition.book_id == Book.id).where(Edition.id == edition_id)
    )


def refresh_loaded_counts(edition_ids: Iterable[int]) -> None:
    """Make loaded editions re-read their counts (the UPDATEs bypass the identity map)."""
    ids = set(edition_ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Edition) and obj.id in ids:
            db.session.expire(obj, ["on_hand", "reserved"])
