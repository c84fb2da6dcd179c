"""Promotion codes for staff: creating, editing, disabling, and counting their uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import exists, func, select, update

from bookstore.accounts.models import User
from bookstore.catalog.models import Edition, Format, Subject
from bookstore.database import rowcount
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.promotions.models import (
    CodeKind,
    CodeScope,
    PromoCode,
    PromoCodeFormat,
    PromoCodeUse,
    UseLimit,
    UseState,
)
from bookstore.promotions.pricing import normalise_code

_Target = TypeVar("_Target", Edition, Subject)

# What the audit log compares before and after an edit.
CODE_FIELDS = [
    "code",
    "description",
    "kind",
    "value",
    "scope",
    "min_order_cents",
    "starts_at",
    "ends_at",
    "total_uses",
    "use_limit",
    "first_order_only",
    "active",
]


@dataclass(frozen=True)
class CodeSpec:
    """What staff (or the demo loader) give for a code. Targets are ids, or formats."""

    code: str
    kind: CodeKind
    value: int
    scope: CodeScope
    starts_at: datetime
    ends_at: datetime | None = None
    description: str = ""
    min_order_cents: int = 0
    total_uses: int | None = None
    use_limit: UseLimit = UseLimit.NONE
    first_order_only: bool = False
    edition_ids: tuple[int, ...] = ()
    subject_ids: tuple[int, ...] = ()
    formats: tuple[Format, ...] = ()


@dataclass(frozen=True)
class CodeCounts:
    """A code's uses: redeemed (paid orders) and reserved (orders awaiting payment)."""

    redeemed: int = 0
    reserved: int = 0


def _check(spec: CodeSpec) -> str:
    code = normalise_code(spec.code)
    if not code:
        raise InvalidInput(
            "A code is 3 to 40 letters, digits, - or _, starting with a letter or digit."
        )
    if spec.value <= 0:
        raise InvalidInput("A code's value must be more than zero.")
    if spec.kind is CodeKind.PERCENT_OFF and spec.value > 10_000:
        raise InvalidInput("A percentage cannot be more than 100%.")
    if spec.ends_at is not None and spec.ends_at <= spec.starts_at:
        raise InvalidInput("A code must end after it starts.")
    if spec.min_order_cents < 0:
        raise InvalidInput("The minimum order cannot be negative.")
    if spec.total_uses is not None and spec.total_uses <= 0:
        raise InvalidInput("A limited code needs at least one use.")
    targets = {
        CodeScope.EDITIONS: spec.edition_ids,
        CodeScope.SUBJECTS: spec.subject_ids,
        CodeScope.FORMATS: spec.formats,
        CodeScope.ALL: (True,),
    }
    if not targets[spec.scope]:
        raise InvalidInput(f"A code for {spec.scope.label.lower()} needs at least one named.")
    return code


def _load(model: type[_Target], ids: tuple[int, ...]) -> list[_Target]:
    rows = list(db.session.scalars(select(model).where(model.id.in_(ids)))) if ids else []
    if len(rows) != len(set(ids)):
        raise NotFound("Some of the editions or subjects named do not exist.")
    return rows


def _set_targets(promo: PromoCode, spec: CodeSpec) -> None:
    editions = spec.edition_ids if spec.scope is CodeScope.EDITIONS else ()
    subjects = spec.subject_ids if spec.scope is CodeScope.SUBJECTS else ()
    promo.editions = _load(Edition, editions)
    promo.subjects = _load(Subject, subjects)
    formats = dict.fromkeys(spec.formats) if spec.scope is CodeScope.FORMATS else {}
    promo.format_rows = [PromoCodeFormat(format=Format(f)) for f in formats]


def create_code(spec: CodeSpec, *, actor: User | None) -> PromoCode:
    """A new code from ``spec``; raises InvalidInput with the reason when it makes no sense."""
    code = _check(spec)
    if db.session.scalar(select(exists().where(PromoCode.code == code))):
        raise InvalidInput(f"The code {code} exists already: choose another.")
    promo = PromoCode(
        code=code,
        description=spec.description.strip()[:300],
        kind=spec.kind,
        value=spec.value,
        scope=spec.scope,
        min_order_cents=spec.min_order_cents,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        total_uses=spec.total_uses,
        remaining_uses=spec.total_uses,
        use_limit=spec.use_limit,
        first_order_only=spec.first_order_only,
        created_by_id=actor.id if actor else None,
    )
    _set_targets(promo, spec)
    db.session.add(promo)
    db.session.flush()
    return promo


def update_code(promo: PromoCode, spec: CodeSpec) -> PromoCode:
    """Edit a code (its text stays). Uses already made stay valid: the limit moves the
    remaining count by the same difference in one conditional UPDATE, never below zero."""
    _check(spec)
    if spec.total_uses != promo.total_uses:
        counts = count_uses(promo.id)
        used = counts.redeemed + counts.reserved
        if spec.total_uses is not None and spec.total_uses < used:
            raise InvalidInput(f"The limit cannot be lower than the {used} uses already made.")
        remaining = None if spec.total_uses is None else spec.total_uses - used
        # Only if no use was taken or given back since the uses were counted.
        before = None if promo.total_uses is None else promo.total_uses - used
        result = db.session.execute(
            update(PromoCode)
            .where(
                PromoCode.id == promo.id,
                PromoCode.remaining_uses.is_not_distinct_from(before),
            )
            .values(total_uses=spec.total_uses, remaining_uses=remaining)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            raise InvalidInput("The code was used meanwhile: check its uses and save again.")
        db.session.refresh(promo)
    promo.description = spec.description.strip()[:300]
    promo.kind, promo.value, promo.scope = spec.kind, spec.value, spec.scope
    promo.min_order_cents = spec.min_order_cents
    promo.starts_at, promo.ends_at = spec.starts_at, spec.ends_at
    promo.use_limit, promo.first_order_only = spec.use_limit, spec.first_order_only
    _set_targets(promo, spec)
    db.session.flush()
    return promo


def set_active(promo: PromoCode, active: bool) -> None:
    """Disable a code (shoppers are told it is no longer valid) or enable it again.
    Orders already placed with it keep their discount."""
    promo.active = active
    db.session.flush()


def get_code(code_id: int) -> PromoCode:
    """The code with this id."""
    promo = db.session.get(PromoCode, code_id)
    if promo is None:
        raise NotFound("That code does not exist.")
    return promo


def all_codes() -> list[PromoCode]:
    """Every code, newest first."""
    return list(db.session.scalars(select(PromoCode).order_by(PromoCode.id.desc())))


def use_counts() -> dict[int, CodeCounts]:
    """Redeemed and reserved uses of every code, by code id."""
    rows = db.session.execute(
        select(PromoCodeUse.promo_code_id, PromoCodeUse.state, func.count())
        .where(PromoCodeUse.state != UseState.RELEASED)
        .group_by(PromoCodeUse.promo_code_id, PromoCodeUse.state)
    )
    counts: dict[int, dict[str, int]] = {}
    for code_id, state, n in rows:
        counts.setdefault(code_id, {})[UseState(state).value] = n
    return {
        code_id: CodeCounts(c.get("redeemed", 0), c.get("reserved", 0))
        for code_id, c in counts.items()
    }


def count_uses(code_id: int) -> CodeCounts:
    """Redeemed and reserved uses of one code."""
    return use_counts().get(code_id, CodeCounts())


def uses_of(promo: PromoCode, limit: int = 200) -> list[PromoCodeUse]:
    """The code's uses, newest first."""
    return list(
        db.session.scalars(
            select(PromoCodeUse)
            .where(PromoCodeUse.promo_code_id == promo.id)
            .order_by(PromoCodeUse.id.desc())
            .limit(limit)
        )
    )
