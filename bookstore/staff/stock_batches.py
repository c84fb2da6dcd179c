"""Deliveries and stock counts: many editions by ISBN, recorded at once in the stock ledger.

A batch is all or nothing: every line is checked first (a known ISBN, a printed edition, a
sensible quantity) and any problem refuses the whole batch with a message per line, so half a
delivery is never booked. Lines with the same ISBN are added up (two boxes of one title, or
one title counted on two shelves).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bookstore.accounts.models import User
from bookstore.catalog import stock
from bookstore.catalog.isbn import normalise_isbn, validate_isbn13
from bookstore.catalog.models import Edition
from bookstore.errors import InvalidInput, InvalidISBN
from bookstore.extensions import db
from bookstore.staff.audit import record
from bookstore.staff.models import StockBatch, StockBatchLine

KINDS = ("delivery", "count")
MAX_QUANTITY = 100_000


@dataclass
class LineInput:
    """One row as typed or scanned: its position on the form, the ISBN, the quantity."""

    row: int
    isbn: str
    quantity: int | None = None


@dataclass
class CheckedLine:
    """A row after looking its ISBN up: the edition, or the problem that refuses it."""

    row: int
    isbn: str
    quantity: int
    edition: Edition | None = None
    problem: str = ""


@dataclass
class BatchCheck:
    lines: list[CheckedLine] = field(default_factory=list)

    @property
    def problems(self) -> list[CheckedLine]:
        return [line for line in self.lines if line.problem]

    def __bool__(self) -> bool:
        return bool(self.lines)

    @property
    def ok(self) -> bool:
        return bool(self.lines) and not self.problems

    @property
    def copies(self) -> int:
        return sum(line.quantity for line in self.lines)


class BatchRefused(InvalidInput):
    """The batch has problems; nothing was recorded. ``check`` says which rows and why."""

    def __init__(self, message: str, check: BatchCheck):
        super().__init__(message)
        self.check = check


def find_edition(isbn: str) -> Edition | None:
    """The edition with this ISBN-13 (hyphens and spaces allowed), or None."""
    digits = normalise_isbn(isbn)
    if len(digits) != 13:
        return None
    return db.session.scalar(
        select(Edition).where(Edition.isbn13 == digits).options(selectinload(Edition.book))
    )


def check_lines(lines: Iterable[LineInput], kind: str) -> BatchCheck:
    """Look every row up (one query) and say what is wrong with each; changes nothing."""
    rows = [line for line in lines if line.isbn.strip()]
    digits = {line.row: normalise_isbn(line.isbn) for line in rows}
    editions = {
        e.isbn13: e
        for e in db.session.scalars(
            select(Edition)
            .where(Edition.isbn13.in_({d for d in digits.values() if len(d) == 13}))
            .options(selectinload(Edition.book))
        )
    }
    check = BatchCheck()
    for line in rows:
        isbn = digits[line.row]
        quantity = 1 if line.quantity is None else line.quantity
        checked = CheckedLine(row=line.row, isbn=isbn, quantity=quantity)
        checked.problem = _problem(isbn, quantity, editions.get(isbn), kind)
        checked.edition = editions.get(isbn)
        check.lines.append(checked)
    return check


def _problem(isbn: str, quantity: int, edition: Edition | None, kind: str) -> str:
    try:
        validate_isbn13(isbn)
    except InvalidISBN as exc:
        return str(exc)
    if edition is None:
        return "No edition in the catalog has this ISBN: add the book first."
    if not edition.is_physical:
        return f"{edition.book.title} (ebook) has no stock to receive or count."
    lowest = 1 if kind == "delivery" else 0
    if not lowest <= quantity <= MAX_QUANTITY:
        return f"The quantity must be a whole number from {lowest} to {MAX_QUANTITY:,}."
    return ""


def _totals(check: BatchCheck) -> dict[int, tuple[Edition, int]]:
    """Quantities per edition (same ISBN on several rows added up), in edition id order."""
    totals: dict[int, tuple[Edition, int]] = {}
    for line in check.lines:
        if line.edition is None:  # only called on a check without problems
            raise BatchRefused(f"Row {line.row}: no edition has this ISBN.", check)
        _, before = totals.get(line.edition.id, (line.edition, 0))
        totals[line.edition.id] = (line.edition, before + line.quantity)
    return dict(sorted(totals.items()))


def record_batch(
    kind: str,
    lines: Iterable[LineInput],
    *,
    actor: User,
    supplier: str = "",
    reference: str = "",
    note: str = "",
) -> StockBatch:
    """Record a delivery (copies received) or a count (copies counted) as ledger entries.

    All or nothing: BatchRefused lists the problem rows and nothing is written; a count that
    would leave fewer copies than are reserved for orders raises InvalidInput (the caller
    rolls back). Flushes, never commits.
    """
    if kind not in KINDS:
        raise InvalidInput("Unknown kind of stock batch.")
    check = check_lines(lines, kind)
    if not check.lines:
        raise BatchRefused("Enter at least one ISBN.", check)
    if check.problems:
        rows = ", ".join(str(line.row) for line in check.problems)
        raise BatchRefused(
            f"Nothing was recorded: {len(check.problems)} line(s) need attention (row {rows}).",
            check,
        )
    batch = StockBatch(
        kind=kind,
        supplier=supplier.strip()[:200],
        reference=reference.strip()[:100],
        note=note.strip()[:500],
        actor_id=actor.id,
    )
    db.session.add(batch)
    db.session.flush()
    label = _label(batch)
    for edition_id, (edition, quantity) in _totals(check).items():
        if kind == "delivery":
            delta = quantity
            movement = stock.receive_stock(edition_id, quantity, actor_id=actor.id, note=label)
        else:
            db.session.refresh(edition, ["on_hand", "reserved"])
            delta = quantity - edition.on_hand
            movement = None
            if delta:
                try:
                    movement = stock.adjust_stock(
                        edition_id, delta, reason="count", actor_id=actor.id, note=label
                    )
                except InvalidInput:
                    raise InvalidInput(
                        f"{edition.book.title} ({edition.format.value}): {edition.reserved} "
                        f"copies are reserved for orders, more than the {quantity} counted. "
                        "Nothing was recorded."
                    ) from None
        batch.lines.append(
            StockBatchLine(
                edition_id=edition_id,
                quantity=quantity,
                delta=delta,
                movement_id=movement.id if movement else None,
            )
        )
    db.session.flush()
    record(
        actor,
        f"stock.{kind}",
        batch,
        after={
            "supplier": batch.supplier,
            "reference": batch.reference,
            "lines": [
                {"isbn": line.edition.isbn13, "quantity": line.quantity, "change": line.delta}
                for line in batch.lines
            ],
        },
        summary=_summary(batch),
        entity_type="stock_batch",
    )
    return batch


def _label(batch: StockBatch) -> str:
    """The note on each ledger entry, so the ledger tells where copies came from."""
    if batch.kind == "delivery":
        text = f"Delivery #{batch.id}"
        if batch.supplier:
            text += f" from {batch.supplier}"
    else:
        text = f"Stock count #{batch.id}"
    if batch.reference:
        text += f", ref. {batch.reference}"
    return text[:500]


def _summary(batch: StockBatch) -> str:
    titles = len(batch.lines)
    if batch.kind == "delivery":
        return f"{_label(batch)}: {batch.copies} copies of {titles} title(s)"
    changed = sum(1 for line in batch.lines if line.delta)
    return f"{_label(batch)}: {titles} title(s) counted, {changed} changed"


def get_batch(batch_id: int) -> StockBatch | None:
    """A batch with its lines, editions and books loaded."""
    return db.session.scalar(
        select(StockBatch)
        .where(StockBatch.id == batch_id)
        .options(
            selectinload(StockBatch.lines)
            .selectinload(StockBatchLine.edition)
            .selectinload(Edition.book),
            selectinload(StockBatch.actor),
        )
    )


def recent_batches(kind: str, limit: int = 10) -> list[StockBatch]:
    """The latest batches of a kind, newest first."""
    return list(
        db.session.scalars(
            select(StockBatch)
            .where(StockBatch.kind == kind)
            .options(selectinload(StockBatch.lines), selectinload(StockBatch.actor))
            .order_by(StockBatch.created_at.desc(), StockBatch.id.desc())
            .limit(limit)
        )
    )
