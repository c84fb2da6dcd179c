"""Deals: creating them, listing the open ones, and members' claims on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from bookstore import page_cache
from bookstore.accounts.export import moment
from bookstore.accounts.models import User
from bookstore.catalog.models import Book, Edition, Format, Subject
from bookstore.database import rowcount
from bookstore.deals.models import ClaimState, Deal, DealClaim, DealFormat, DealKind, DealScope
from bookstore.errors import DealAlreadyClaimed, DealUnavailable, InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.members.services import is_member
from bookstore.slugs import make_slug


@dataclass(frozen=True)
class DealSpec:
    """What staff (or the CLI) give to create a deal. Targets are ids, or formats by name."""

    title: str
    kind: DealKind
    value: int
    scope: DealScope
    starts_at: datetime
    ends_at: datetime
    description: str = ""
    min_order_cents: int = 0
    total_claims: int | None = None
    stacks_with_others: bool = False
    edition_ids: tuple[int, ...] = ()
    book_ids: tuple[int, ...] = ()
    subject_ids: tuple[int, ...] = ()
    formats: tuple[Format, ...] = ()


def _check_spec(spec: DealSpec) -> None:
    if not spec.title.strip():
        raise InvalidInput("A deal needs a title.")
    if spec.value <= 0:
        raise InvalidInput("A deal's value must be more than zero.")
    if spec.kind is DealKind.PERCENT_OFF and spec.value > 10_000:
        raise InvalidInput("A percentage cannot be more than 100%.")
    if spec.kind is DealKind.FIXED_PRICE and spec.scope is DealScope.ORDER:
        raise InvalidInput("A fixed price needs editions, books, subjects or formats to apply to.")
    if spec.ends_at <= spec.starts_at:
        raise InvalidInput("A deal must end after it starts.")
    if spec.min_order_cents < 0:
        raise InvalidInput("The minimum order cannot be negative.")
    if spec.total_claims is not None and spec.total_claims <= 0:
        raise InvalidInput("A limited deal needs at least one claim.")
    targets = {
        DealScope.EDITIONS: spec.edition_ids,
        DealScope.BOOKS: spec.book_ids,
        DealScope.SUBJECTS: spec.subject_ids,
        DealScope.FORMATS: spec.formats,
        DealScope.ORDER: (True,),
    }
    if not targets[spec.scope]:
        raise InvalidInput(f"A deal on {spec.scope.value} needs at least one of them named.")


def _unique_slug(title: str) -> str:
    base = make_slug(title)[:200] or "deal"
    slug, n = base, 1
    while db.session.scalar(select(exists().where(Deal.slug == slug))):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _load(model: Any, ids: tuple[int, ...], what: str) -> list[Any]:
    rows = list(db.session.scalars(select(model).where(model.id.in_(ids)))) if ids else []
    if len(rows) != len(set(ids)):
        raise NotFound(f"Some {what} named for the deal do not exist.")
    return rows


def create_deal(spec: DealSpec, *, actor: User | None) -> Deal:
    """A new deal from ``spec``; raises InvalidInput with the reason when it makes no sense."""
    _check_spec(spec)
    deal = Deal(
        title=spec.title.strip(),
        slug=_unique_slug(spec.title),
        description=spec.description.strip()[:500],
        kind=spec.kind,
        value=spec.value,
        scope=spec.scope,
        min_order_cents=spec.min_order_cents,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        total_claims=spec.total_claims,
        remaining_claims=spec.total_claims,
        stacks_with_others=spec.stacks_with_others,
        created_by_id=actor.id if actor else None,
    )
    if spec.scope is DealScope.EDITIONS:
        deal.editions = _load(Edition, spec.edition_ids, "editions")
    elif spec.scope is DealScope.BOOKS:
        deal.books = _load(Book, spec.book_ids, "books")
    elif spec.scope is DealScope.SUBJECTS:
        deal.subjects = _load(Subject, spec.subject_ids, "subjects")
    elif spec.scope is DealScope.FORMATS:
        deal.format_rows = [DealFormat(format=f) for f in dict.fromkeys(spec.formats)]
    db.session.add(deal)
    db.session.flush()
    return deal


def open_deals(now: datetime) -> list[Deal]:
    """Deals open now, ending soonest first."""
    query = (
        select(Deal)
        .where(Deal.starts_at <= now, Deal.ends_at > now)
        .order_by(Deal.ends_at, Deal.id)
    )
    return list(db.session.scalars(query))


def upcoming_deals(now: datetime, limit: int = 10) -> list[Deal]:
    """Deals that have not started yet, soonest first."""
    query = select(Deal).where(Deal.starts_at > now).order_by(Deal.starts_at, Deal.id).limit(limit)
    return list(db.session.scalars(query))


def all_deals() -> list[Deal]:
    """Every deal, newest window first (for staff and ``flask deals list``)."""
    return list(db.session.scalars(select(Deal).order_by(Deal.starts_at.desc(), Deal.id.desc())))


def get_deal(deal_id: int) -> Deal:
    """The deal with this id."""
    deal = db.session.get(Deal, deal_id)
    if deal is None:
        raise NotFound("That deal does not exist.")
    return deal


def claims_of(user: User | None) -> dict[int, DealClaim]:
    """The member's claims, by deal id."""
    if user is None or getattr(user, "id", None) is None:
        return {}
    query = select(DealClaim).where(DealClaim.user_id == user.id)
    return {claim.deal_id: claim for claim in db.session.scalars(query)}


def claims_data(user: User) -> list[dict[str, object]]:
    """The deals the member claimed and where each claim stands, for their data file."""
    claims = db.session.scalars(
        select(DealClaim).where(DealClaim.user_id == user.id).order_by(DealClaim.claimed_at)
    )
    return [
        {
            "deal": claim.deal.title,
            "state": claim.state.value,
            "claimed_at": moment(claim.claimed_at),
            "redeemed_at": moment(claim.redeemed_at),
        }
        for claim in claims
    ]


def usable_claims(user: User, now: datetime) -> list[DealClaim]:
    """Claims the member can still use on an order: claimed or released, deal still open."""
    query = (
        select(DealClaim)
        .join(Deal)
        .where(
            DealClaim.user_id == user.id,
            DealClaim.state.in_([ClaimState.CLAIMED, ClaimState.RELEASED]),
            Deal.starts_at <= now,
            Deal.ends_at > now,
        )
        .order_by(Deal.ends_at, Deal.id)
    )
    return list(db.session.scalars(query))


def claim_deal(deal: Deal, member: User, now: datetime) -> DealClaim:
    """Claim ``deal`` for ``member``: one conditional UPDATE of the count plus a unique row.

    Safe under any concurrency: the database refuses a second (deal, member) row and a count
    below zero; a SAVEPOINT undoes the decrement when the row is refused.
    """
    if not is_member(member, now):
        raise DealUnavailable("Deals are for members: your membership is not active.")
    if now < deal.starts_at:
        raise DealUnavailable(f"“{deal.title}” opens on {deal.starts_at:%d %B %Y}.")
    if now >= deal.ends_at:
        raise DealUnavailable(f"“{deal.title}” has ended.")
    already = select(exists().where(DealClaim.deal_id == deal.id, DealClaim.user_id == member.id))
    if db.session.scalar(already):
        raise DealAlreadyClaimed(f"You have already claimed “{deal.title}”.")
    savepoint = db.session.begin_nested()
    try:
        if deal.is_limited:
            taken = db.session.execute(
                update(Deal)
                .where(Deal.id == deal.id, Deal.remaining_claims > 0)
                .values(remaining_claims=Deal.remaining_claims - 1)
                # No page shows the count: a claim keeps the page cache.
                .execution_options(synchronize_session=False, **{page_cache.UNSEEN_OPTION: True})
            )
            if rowcount(taken) != 1:
                savepoint.rollback()
                raise DealUnavailable(f"Sorry, “{deal.title}” has been fully claimed.")
        claim = DealClaim(deal_id=deal.id, user_id=member.id, claimed_at=now)
        db.session.add(claim)
        db.session.flush()
    except IntegrityError:
        # Another request by the same member won the race: undo our decrement too.
        savepoint.rollback()
        raise DealAlreadyClaimed(f"You have already claimed “{deal.title}”.") from None
    savepoint.commit()
    if deal.is_limited:
        db.session.refresh(deal, ["remaining_claims"])
    return claim
