"""Stock: reservations, sales and the ledger, each change one conditional UPDATE.

How reservations expire
-----------------------
An order holds stock while ``orders.reserved_until`` is set; the held copies are counted in
``editions.reserved``. When the time is up the copies are free again *at once*, before anybody
runs ``flask checkout expire-stale``:

- ``reserve_stock`` first takes back, in the same transaction and the same single UPDATE per
  edition, the copies held by expired orders for the editions it reserves;
- ``available_quantities`` adds the copies of expired holds back to ``on_hand - reserved``,
  and ``available_to_cart`` (what the cart page and checkout allow) also counts the copies the
  cart's own unpaid checkout holds, since its next checkout replaces that one.

- catalog pages add back the copies of lapsed holds too (``hold_snapshot``), and a cached
  page is kept only until the next hold lapses.

``release_order_stock`` and ``commit_sale`` clear ``reserved_until`` with a conditional UPDATE
first, so a hold is given back (or sold) exactly once whoever gets there first.

Locks are always taken in the same order: order rows (by id), then edition rows (by id), so
concurrent checkouts queue up instead of deadlocking.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import func, select, update

from bookstore.catalog.models import Edition, Format, StockMovement
from bookstore.dbtypes import utcnow
from bookstore.errors import InvalidInput, OutOfStock
from bookstore.extensions import db


def _orders():
    # Imported late: checkout builds on the catalog, not the other way round.
    from bookstore.checkout.models import Order, OrderLine

    return Order, OrderLine


def _held_by_order(order_id: int) -> dict[int, int]:
    """Copies of each physical edition that an order holds (edition id -> quantity)."""
    _, OrderLine = _orders()
    rows = db.session.execute(
        select(OrderLine.edition_id, OrderLine.quantity).where(
            OrderLine.order_id == order_id,
            OrderLine.edition_id.is_not(None),
            OrderLine.format != Format.EBOOK,
        )
    )
    held: dict[int, int] = defaultdict(int)
    for edition_id, quantity in rows:
        held[edition_id] += quantity
    return dict(held)


def _claim_hold(order_id: int, *, expired_before: datetime | None = None) -> bool:
    """Clear an order's hold with one conditional UPDATE; True if this caller cleared it."""
    Order, _ = _orders()
    stmt = update(Order).where(Order.id == order_id, Order.reserved_until.is_not(None))
    if expired_before is not None:
        stmt = stmt.where(Order.reserved_until <= expired_before)
    result = db.session.execute(
        stmt.values(reserved_until=None), execution_options={"synchronize_session": False}
    )
    return result.rowcount == 1


def _expired_holds(edition_ids: Iterable[int], now: datetime) -> list[int]:
    """Ids (ascending) of orders whose hold on any of these editions has expired."""
    Order, OrderLine = _orders()
    ids = list(edition_ids)
    if not ids:
        return []
    query = (
        select(Order.id)
        .where(
            Order.reserved_until.is_not(None),
            Order.reserved_until <= now,
            Order.id.in_(select(OrderLine.order_id).where(OrderLine.edition_id.in_(ids))),
        )
        .order_by(Order.id)
    )
    return list(db.session.scalars(query))


def reserve_stock(
    quantities: Mapping[int, int], *, now: datetime | None = None, order_id: int | None = None
) -> None:
    """Reserve copies of physical editions (edition id -> quantity), all or nothing.

    One conditional UPDATE per edition, in id order; copies held by expired orders are taken
    back in that same UPDATE. Raises OutOfStock naming the first title that is short.
    ``order_id`` is the order the copies are for: its own (expired) hold is not taken back.
    """
    now = now or utcnow()
    wanted = {eid: n for eid, n in quantities.items() if n > 0}
    released: dict[int, int] = defaultdict(int)
    for expired_id in _expired_holds(wanted, now):
        if expired_id == order_id:
            continue
        held = _held_by_order(expired_id)
        if _claim_hold(expired_id, expired_before=now):
            for eid, n in held.items():
                released[eid] += n
    # Editions that only get copies back (no new reservation) are updated in the same id order.
    for edition_id in sorted(set(wanted) | set(released)):
        n = wanted.get(edition_id, 0)
        back = released.get(edition_id, 0)
        result = db.session.execute(
            update(Edition)
            .where(
                Edition.id == edition_id,
                Edition.format != Format.EBOOK,
                Edition.on_hand - (Edition.reserved - back) >= n,
            )
            .values(reserved=Edition.reserved - back + n),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount != 1:
            title = _title(edition_id)
            raise OutOfStock(
                f"Sorry, {title or 'one of the books'} is sold out "
                "(or fewer copies are left than you asked for).",
                edition_id=edition_id,
            )
    _expire_cached(set(wanted) | set(released))


def release_order_stock(order_id: int, *, expired_before: datetime | None = None) -> bool:
    """Give back the copies an order holds; True if this call released them (once only).

    With ``expired_before``, only a hold that lapsed by then is released (a fresh hold taken
    meanwhile by a retried payment is left alone).
    """
    held = _held_by_order(order_id)
    if not _claim_hold(order_id, expired_before=expired_before):
        return False
    for edition_id in sorted(held):
        db.session.execute(
            update(Edition)
            .where(Edition.id == edition_id)
            .values(reserved=Edition.reserved - held[edition_id]),
            execution_options={"synchronize_session": False},
        )
    _expire_cached(held)
    return True


def release_expired(
    now: datetime | None = None, *, edition_ids: Iterable[int] | None = None
) -> list[int]:
    """Release every hold whose time is up (only those on ``edition_ids`` when given).

    Returns the ids of the orders whose copies were given back.
    """
    Order, OrderLine = _orders()
    now = now or utcnow()
    query = select(Order.id).where(Order.reserved_until.is_not(None), Order.reserved_until <= now)
    if edition_ids is not None:
        ids = list(edition_ids)
        query = query.where(
            Order.id.in_(select(OrderLine.order_id).where(OrderLine.edition_id.in_(ids)))
        )
    found = db.session.scalars(query.order_by(Order.id)).all()
    return [order_id for order_id in found if release_order_stock(order_id, expired_before=now)]


def commit_sale(order_id: int, *, actor_id: int | None = None) -> None:
    """Turn an order's copies into sales: on_hand and reserved go down, one ledger row each.

    If the hold had already lapsed the copies are taken from free stock instead; when they are
    no longer there, OutOfStock is raised and nothing is changed.
    """
    held = _held_by_order(order_id)
    had_hold = _claim_hold(order_id)
    done: list[int] = []
    for edition_id in sorted(held):
        n = held[edition_id]
        stmt = update(Edition).where(Edition.id == edition_id)
        if had_hold:
            stmt = stmt.values(on_hand=Edition.on_hand - n, reserved=Edition.reserved - n)
        else:
            stmt = stmt.where(Edition.on_hand - Edition.reserved >= n).values(
                on_hand=Edition.on_hand - n
            )
        result = db.session.execute(stmt, execution_options={"synchronize_session": False})
        if result.rowcount != 1:
            # Undo this call's own changes in the same transaction (no savepoint: SQLite's
            # driver would commit one that opens the transaction), then refuse.
            for undo_id in done:
                db.session.execute(
                    update(Edition)
                    .where(Edition.id == undo_id)
                    .values(on_hand=Edition.on_hand + held[undo_id]),
                    execution_options={"synchronize_session": False},
                )
            _expire_cached(held)
            raise OutOfStock(
                f"{_title(edition_id) or 'A book'} sold out before the payment arrived.",
                edition_id=edition_id,
            )
        done.append(edition_id)
    for edition_id in sorted(held):
        db.session.add(
            StockMovement(
                edition_id=edition_id,
                delta=-held[edition_id],
                reason="sale",
                order_id=order_id,
                actor_id=actor_id,
            )
        )
    db.session.flush()
    _expire_cached(held)


def receive_stock(
    edition_id: int, quantity: int, *, actor_id: int | None, note: str = ""
) -> StockMovement:
    """Add delivered copies to on_hand, with a "receive" ledger row."""
    if quantity <= 0:
        raise InvalidInput("Receive at least one copy.")
    return adjust_stock(edition_id, quantity, reason="receive", actor_id=actor_id, note=note)


def adjust_stock(
    edition_id: int, delta: int, *, reason: str, actor_id: int | None, note: str = ""
) -> StockMovement:
    """Change on_hand by ``delta`` with a ledger row; never below the copies held for orders."""
    if delta == 0:
        raise InvalidInput("A stock change must add or remove at least one copy.")
    if not reason or len(reason) > 20:
        raise InvalidInput("Give a short reason for the stock change.")
    result = db.session.execute(
        update(Edition)
        .where(
            Edition.id == edition_id,
            Edition.format != Format.EBOOK,
            Edition.on_hand + delta >= Edition.reserved,
        )
        .values(on_hand=Edition.on_hand + delta),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise InvalidInput(
            "That would leave fewer copies on hand than are reserved for orders "
            "(or the edition is an ebook, which has no stock)."
        )
    movement = StockMovement(
        edition_id=edition_id, delta=delta, reason=reason, note=note, actor_id=actor_id
    )
    db.session.add(movement)
    db.session.flush()
    _expire_cached({edition_id})
    return movement


def available_quantities(edition_ids: Iterable[int], now: datetime | None = None) -> dict[int, int]:
    """Copies free to sell now, per physical edition: expired holds count as free."""
    Order, OrderLine = _orders()
    ids = list(set(edition_ids))
    if not ids:
        return {}
    now = now or utcnow()
    expired = dict(
        db.session.execute(
            select(OrderLine.edition_id, func.sum(OrderLine.quantity))
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                OrderLine.edition_id.in_(ids),
                Order.reserved_until.is_not(None),
                Order.reserved_until <= now,
            )
            .group_by(OrderLine.edition_id)
        ).all()
    )
    rows = db.session.execute(
        select(Edition.id, Edition.on_hand, Edition.reserved).where(
            Edition.id.in_(ids), Edition.format != Format.EBOOK
        )
    )
    return {
        eid: max(on_hand - (reserved - int(expired.get(eid) or 0)), 0)
        for eid, on_hand, reserved in rows
    }


def hold_snapshot(now: datetime) -> tuple[dict[int, int], datetime | None]:
    """Copies held by checkouts whose time is up, per physical edition (free to sell again),
    and when the next hold still running lapses; one query over the orders holding stock."""
    Order, OrderLine = _orders()
    rows = db.session.execute(
        select(OrderLine.edition_id, OrderLine.quantity, Order.reserved_until)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.reserved_until.is_not(None),
            OrderLine.edition_id.is_not(None),
            OrderLine.format != Format.EBOOK,
        )
    )
    lapsed: dict[int, int] = defaultdict(int)
    next_lapse = None
    for edition_id, quantity, until in rows:
        if until <= now:
            lapsed[edition_id] += quantity
        elif next_lapse is None or until < next_lapse:
            next_lapse = until
    return dict(lapsed), next_lapse


def available_to_cart(
    cart_id: int, edition_ids: Iterable[int], now: datetime | None = None
) -> dict[int, int]:
    """Copies the cart may order now, per physical edition: expired holds count as free, and
    so do the copies held by the cart's own unpaid checkout (a new checkout replaces it)."""
    Order, OrderLine = _orders()
    now = now or utcnow()
    free = available_quantities(edition_ids, now)
    if not free:
        return free
    own = db.session.execute(
        select(OrderLine.edition_id, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.cart_id == cart_id,
            Order.reserved_until > now,
            OrderLine.edition_id.in_(list(free)),
            OrderLine.format != Format.EBOOK,
        )
        .group_by(OrderLine.edition_id)
    )
    for edition_id, quantity in own:
        free[edition_id] += int(quantity)
    return free


def _title(edition_id: int) -> str | None:
    from bookstore.catalog.models import Book

    return db.session.scalar(
        select(Book.title).join(Edition, Edition.book_id == Book.id).where(Edition.id == edition_id)
    )


def _expire_cached(edition_ids: Iterable[int]) -> None:
    # The UPDATEs bypass the identity map: make loaded editions re-read their counts.
    for edition in list(db.session.identity_map.values()):
        if isinstance(edition, Edition) and edition.id in set(edition_ids):
            db.session.expire(edition, ["on_hand", "reserved"])
