"""Membership: who is a member, granting, ending and renewing terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bookstore.accounts.export import moment
from bookstore.accounts.models import User
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.members.models import Membership, MembershipSource


@dataclass(frozen=True)
class MembershipStatus:
    """What the account page and the header show about a user's membership."""

    is_member: bool
    ends_at: datetime | None


def add_years(moment: datetime, years: int = 1) -> datetime:
    """``moment`` plus whole calendar years; 29 February becomes 28 February."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def _active_terms(user_id: int, now: datetime):
    return select(Membership).where(
        Membership.user_id == user_id, Membership.starts_at <= now, Membership.ends_at > now
    )


def is_member(user: User | None, now: datetime) -> bool:
    """True when ``user`` has a membership term covering ``now``."""
    if user is None or getattr(user, "id", None) is None:
        return False
    query = select(func.count()).select_from(_active_terms(user.id, now).subquery())
    return (db.session.scalar(query) or 0) > 0


def membership_end(user: User, now: datetime) -> datetime | None:
    """When the user's membership ends, counting renewals already paid; None if not a member."""
    if not is_member(user, now):
        return None
    # Terms chain end to start, so the latest end among current and future terms is the end.
    query = select(func.max(Membership.ends_at)).where(
        Membership.user_id == user.id, Membership.ends_at > now
    )
    return db.session.scalar(query)


def membership_status(user: User | None, now: datetime) -> MembershipStatus:
    """Member or not, and until when."""
    if user is None or getattr(user, "id", None) is None:
        return MembershipStatus(False, None)
    end = membership_end(user, now)
    return MembershipStatus(end is not None, end)


def membership_history(user: User) -> list[Membership]:
    """Every term of the user's membership, newest first."""
    query = (
        select(Membership)
        .where(Membership.user_id == user.id)
        .order_by(Membership.starts_at.desc(), Membership.id.desc())
    )
    return list(db.session.scalars(query))


def grant_membership(
    user: User, *, until: datetime, actor: User | None, reason: str, now: datetime
) -> Membership:
    """Staff grant: the user is a member from now (or the current end) until ``until``."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the membership is granted.")
    current_end = membership_end(user, now)
    starts_at = current_end or now
    if until <= starts_at:
        if current_end is not None:
            raise InvalidInput(
                f"{user.email} is already a member until {current_end:%Y-%m-%d}; "
                "choose a later date."
            )
        raise InvalidInput("The end date must be in the future.")
    term = Membership(
        user_id=user.id,
        starts_at=starts_at,
        ends_at=until,
        source=MembershipSource.GRANT,
        reason=reason[:500],
        granted_by_id=actor.id if actor else None,
    )
    db.session.add(term)
    db.session.flush()
    return term


def extend_by_year(
    user: User, *, now: datetime, order_id: int | None = None, reason: str = "Annual membership"
) -> Membership:
    """A paid year: starts now, or at the current end when renewing before expiry."""
    if order_id is not None:
        # Paying twice for the same order must not add two years.
        existing = db.session.scalar(
            select(Membership).where(Membership.user_id == user.id, Membership.order_id == order_id)
        )
        if existing is not None:
            return existing
    starts_at = membership_end(user, now) or now
    term = Membership(
        user_id=user.id,
        starts_at=starts_at,
        ends_at=add_years(starts_at),
        source=MembershipSource.PURCHASE,
        reason=reason,
        order_id=order_id,
    )
    db.session.add(term)
    db.session.flush()
    return term


def end_membership(user: User, *, actor: User | None, reason: str, now: datetime) -> int:
    """End the user's membership now (and cancel terms paid in advance); returns terms changed."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the membership is ended.")
    terms = list(
        db.session.scalars(
            select(Membership).where(Membership.user_id == user.id, Membership.ends_at > now)
        )
    )
    if not terms:
        raise InvalidInput(f"{user.email} is not a member.")
    for term in terms:
        # A term paid in advance that has not started yet is kept as history, but empty.
        term.ends_at = max(now, term.starts_at)
        term.ended_early_at = now
        term.end_reason = reason[:500]
        term.ended_by_id = actor.id if actor else None
    db.session.flush()
    return len(terms)


def user_by_email(email: str) -> User:
    """The account with this address (case-insensitive)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"No account with the address {email.strip()}.")
    return user


def memberships_data(user: User) -> list[dict]:
    """Every term of the reader's membership, oldest first, for their data file."""
    return [
        {
            "starts_at": moment(term.starts_at),
            "ends_at": moment(term.ends_at),
            "how": term.source.value,
            "note": term.reason or None,
            "ended_early_at": moment(term.ended_early_at),
        }
        for term in reversed(membership_history(user))
    ]
