"""Changes made from the books list: a row's price and stock, and bulk actions on many rows.

Each change to a record writes its own audit entry (so the log shows every edition or book a
bulk action touched); nothing commits here.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bookstore.accounts.models import User
from bookstore.catalog.models import Book, Edition
from bookstore.errors import InvalidInput
from bookstore.extensions import db
from bookstore.inventory import ledger
from bookstore.staff.audit import record
from bookstore.staff.catalog_admin import get_or_create_subject, set_edition_active

ACTIONS = {
    "retire": "Retire (stop selling)",
    "reinstate": "Put back on sale",
    "add-subject": "Add a subject",
    "remove-subject": "Remove a subject",
    "threshold": "Set the low-stock threshold",
}
MAX_STOCK = 100_000


def _label(edition: Edition) -> str:
    return f"{edition.book.title} ({edition.format.value})"


def quick_edit(
    edition: Edition,
    *,
    price_cents: int,
    on_hand: int | None,
    on_hand_seen: int | None,
    actor: User,
) -> list[str]:
    """Set a row's price and copies on hand; returns what changed, in words.

    Stock moves by the difference from the count the staff member saw, as a "count" entry of
    the ledger, so a sale made meanwhile is not undone.
    """
    if price_cents < 0:
        raise InvalidInput("A price cannot be negative.")
    changes = []
    if price_cents != edition.price_cents:
        old_price = edition.price_cents
        edition.price_cents = price_cents
        db.session.flush()
        record(
            actor,
            "edition.update",
            edition,
            before={"price_cents": old_price},
            after={"price_cents": price_cents},
            summary=_label(edition),
        )
        changes.append("price")
    if on_hand is not None and on_hand_seen is not None and on_hand != on_hand_seen:
        if not edition.is_physical:
            raise InvalidInput("Ebooks have no stock.")
        if not 0 <= on_hand <= MAX_STOCK:
            raise InvalidInput(f"Copies on hand must be from 0 to {MAX_STOCK:,}.")
        stock_before = {"on_hand": edition.on_hand, "reserved": edition.reserved}
        movement = ledger.adjust_stock(
            edition.id,
            on_hand - on_hand_seen,
            reason="count",
            actor_id=actor.id,
            note="Books list",
        )
        db.session.refresh(edition, ["on_hand", "reserved"])
        record(
            actor,
            "stock.count",
            edition,
            before=stock_before,
            after={"on_hand": edition.on_hand, "reserved": edition.reserved},
            summary=f"{movement.delta:+d} {_label(edition)}",
        )
        changes.append("stock")
    return changes


def _editions(edition_ids: Iterable[int]) -> list[Edition]:
    ids = sorted(set(edition_ids))
    if not ids:
        raise InvalidInput("Select at least one row first.")
    return list(
        db.session.scalars(
            select(Edition)
            .where(Edition.id.in_(ids))
            .options(selectinload(Edition.book).selectinload(Book.subjects))
            .order_by(Edition.id)
        )
    )


def _threshold(value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value) > 10_000:
        raise InvalidInput("The low-stock threshold is a whole number from 0 to 10,000 (or empty).")
    return int(value)


def apply_bulk(action: str, edition_ids: Iterable[int], value: str, *, actor: User) -> int:
    """Apply a bulk action to the selected editions (subjects: to their books).

    Returns how many records changed; records already as asked are left alone.
    """
    if action not in ACTIONS:
        raise InvalidInput("Choose an action.")
    editions = _editions(edition_ids)
    if action in ("retire", "reinstate"):
        wanted = action == "reinstate"
        changed = [e for e in editions if e.active != wanted]
        for edition in changed:
            set_edition_active(edition, wanted, actor=actor)
        return len(changed)
    if action == "threshold":
        threshold = _threshold(value)
        changed = [e for e in editions if e.low_stock_threshold != threshold]
        for edition in changed:
            before = edition.low_stock_threshold
            edition.low_stock_threshold = threshold
            record(
                actor,
                "edition.update",
                edition,
                before={"low_stock_threshold": before},
                after={"low_stock_threshold": threshold},
                summary=_label(edition),
            )
        db.session.flush()
        return len(changed)
    return _bulk_subject(action, editions, value.strip(), actor=actor)


def _bulk_subject(action: str, editions: list[Edition], name: str, *, actor: User) -> int:
    if not name or len(name) > 80:
        raise InvalidInput("Type the subject's name (up to 80 characters).")
    books = list({e.book_id: e.book for e in editions}.values())
    subject = get_or_create_subject(name, create=action == "add-subject")
    if subject is None:
        raise InvalidInput(f"There is no subject called {name!r}.")
    changed = 0
    for book in books:
        before = [s.name for s in book.subjects]
        has = any(s.id == subject.id for s in book.subjects)
        if action == "add-subject" and not has:
            book.subjects.append(subject)
        elif action == "remove-subject" and has:
            book.subjects = [s for s in book.subjects if s.id != subject.id]
        else:
            continue
        changed += 1
        db.session.flush()
        record(
            actor,
            "book.subject_add" if action == "add-subject" else "book.subject_remove",
            book,
            before={"subjects": before},
            after={"subjects": [s.name for s in book.subjects]},
            summary=f"{book.title}: {subject.name}",
        )
    return changed
