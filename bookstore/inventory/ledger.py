"""The stock ledger: every change of an edition's on-hand count is a ``stock_movements`` row."""

from __future__ import annotations

from sqlalchemy import update

from bookstore.catalog.models import Edition, Format, StockMovement
from bookstore.database import rowcount
from bookstore.errors import InvalidInput
from bookstore.extensions import db
from bookstore.inventory.holds import refresh_loaded_counts
from bookstore.inventory.signals import announce_stock_added


def receive_stock(
    edition_id: int, quantity: int, *, actor_id: int | None, note: str = ""
) -> StockMovement:
    """Add delivered copies to on_hand, with a "receive" ledger row."""
    if quantity <= 0:
        raise InvalidInput("Receive at least one copy.")
    return adjust_stock(edition_id, quantity, reason="receive", actor_id=actor_id, note=note)


def adjust_stock(
    edition_id: int,
    delta: int,
    *,
    reason: str,
    actor_id: int | None,
    note: str = "",
    order_id: int | None = None,
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
    if rowcount(result) != 1:
        raise InvalidInput(
            "That would leave fewer copies on hand than are reserved for orders "
            "(or the edition is an ebook, which has no stock)."
        )
    movement = StockMovement(
        edition_id=edition_id,
        delta=delta,
        reason=reason,
        note=note,
        actor_id=actor_id,
        order_id=order_id,
    )
    db.session.add(movement)
    db.session.flush()
    refresh_loaded_counts({edition_id})
    if delta > 0:
        announce_stock_added([edition_id])
    return movement
