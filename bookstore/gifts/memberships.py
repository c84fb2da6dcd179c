"""A year of membership given to someone else: in the cart, on the order, claimed by link.

The buyer names the recipient's email in the cart; placing the order records a
``GiftMembership``; paying it gives the gift a random claim token (only its hash is kept)
and queues the email with the link; the recipient claims it into an existing or a new
account. The claim is one conditional UPDATE, so a link gives one membership however many
times (or however fast) it is used.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from bookstore.accounts.models import User
from bookstore.database import rowcount
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.gifts.models import GiftMembership
from bookstore.links import external_url
from bookstore.mail import send_after_commit
from bookstore.members.services import extend_by_year

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class GiftLinkUsed(InvalidInput):
    """The gift was claimed already."""


class GiftLinkExpired(InvalidInput):
    """The claim link is past its date, or the gift was cancelled."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_recipient(email: str, *, buyer_email: str | None) -> str:
    """The recipient's address, normalised; refuses a bad address or the buyer's own."""
    email = " ".join((email or "").split()).lower()
    if not email or len(email) > 254 or not EMAIL.fullmatch(email):
        raise InvalidInput("Enter the recipient's email address, like name@example.com.")
    if buyer_email and email == buyer_email.strip().lower():
        raise InvalidInput(
            "That is your own address: to be a member yourself, choose "
            "“Join for a year” instead of a gift."
        )
    return email


def put_in_cart(cart: Any, *, email: str, name: str, message: str, buyer: User | None) -> None:
    """Put a gift of a year of membership for ``email`` in the cart (one per cart)."""
    cart.gift_email = check_recipient(email, buyer_email=buyer.email if buyer else None)
    cart.gift_name = " ".join((name or "").split())[:120]
    cart.gift_message = (message or "").strip()[:500]
    db.session.flush()


def take_out_of_cart(cart: Any) -> None:
    """No gift membership in the cart any more."""
    cart.gift_email = cart.gift_name = cart.gift_message = ""
    db.session.flush()


def add_to_order(order: Any, cart: Any, *, buyer: User | None, price_cents: int) -> GiftMembership:
    """Record the gift membership of the cart on the order being placed."""
    recipient = check_recipient(cart.gift_email, buyer_email=order.email)
    gift = GiftMembership(
        order_id=order.id,
        buyer_id=buyer.id if buyer is not None else None,
        buyer_email=order.email,
        recipient_email=recipient,
        recipient_name=cart.gift_name,
        message=cart.gift_message,
        price_cents=price_cents,
    )
    db.session.add(gift)
    db.session.flush()
    return gift


def of_order(order_id: int) -> GiftMembership | None:
    """The gift membership an order buys, if any."""
    return db.session.scalar(select(GiftMembership).where(GiftMembership.order_id == order_id))


def claim_days() -> int:
    return max(int(current_app.config.get("GIFT_CLAIM_DAYS") or 90), 1)


def send_claim_link(gift: GiftMembership, *, now: datetime) -> None:
    """Give the gift a fresh claim token (the old link stops working) and queue its email."""
    token = secrets.token_urlsafe(32)
    gift.token_hash = _hash(token)
    gift.sent_at = now
    gift.expires_at = now + timedelta(days=claim_days())
    db.session.flush()
    send_after_commit(
        gift.recipient_email,
        "A year of membership, a gift for you",
        "gift_membership",
        gift=gift,
        claim_url=external_url("gifts.claim", token=token),
    )


def order_paid(order_id: int, *, now: datetime) -> None:
    """The order is paid: its gift membership gets its link (once per order)."""
    gift = db.session.scalar(
        select(GiftMembership).where(GiftMembership.order_id == order_id).with_for_update()
    )
    if gift is None or gift.token_hash is not None:
        return
    send_claim_link(gift, now=now)


def order_refunded(order_id: int, *, now: datetime) -> None:
    """A refunded order's unclaimed gift can no longer be claimed."""
    db.session.execute(
        update(GiftMembership)
        .where(
            GiftMembership.order_id == order_id,
            GiftMembership.claimed_at.is_(None),
            GiftMembership.voided_at.is_(None),
        )
        .values(voided_at=now),
        execution_options={"synchronize_session": False},
    )


def resend(gift: GiftMembership, *, now: datetime) -> None:
    """Staff send the link again (a new one, valid for the full time again)."""
    if gift.state(now) not in ("sent", "expired"):
        raise InvalidInput(f"This gift is {gift.state(now)}: there is no link to send.")
    send_claim_link(gift, now=now)


def gift_by_token(token: str) -> GiftMembership:
    """The gift behind a claim link; NotFound for an unknown or replaced link."""
    if not token or len(token) > 100:
        raise NotFound("This gift link is not valid.")
    gift = db.session.scalar(
        select(GiftMembership).where(GiftMembership.token_hash == _hash(token))
    )
    if gift is None:
        raise NotFound("This gift link is not valid. If it came in an email, ask the sender.")
    return gift


def check_claimable(gift: GiftMembership, *, now: datetime) -> None:
    """Raises GiftLinkUsed or GiftLinkExpired unless the gift can be claimed now."""
    state = gift.state(now)
    if state == "claimed":
        raise GiftLinkUsed("This gift has already been claimed.")
    if state == "cancelled":
        raise GiftLinkExpired("This gift was cancelled by the shop.")
    if state != "sent":
        raise GiftLinkExpired(
            "This gift link has expired. Ask the sender to contact us: we can send a new one."
        )


def claim(token: str, user: User, *, now: datetime) -> GiftMembership:
    """Claim the gift of ``token`` for ``user``: the year starts now (or at the end of
    their current membership). Of two claims at once exactly one wins."""
    gift = gift_by_token(token)
    check_claimable(gift, now=now)
    if gift.buyer_id is not None and gift.buyer_id == user.id:
        raise InvalidInput(
            "You bought this gift: pass the link on to the person it is for "
            f"({gift.recipient_email})."
        )
    result = db.session.execute(
        update(GiftMembership)
        .where(
            GiftMembership.id == gift.id,
            GiftMembership.token_hash == _hash(token),
            GiftMembership.claimed_at.is_(None),
            GiftMembership.voided_at.is_(None),
            GiftMembership.expires_at > now,
        )
        .values(claimed_at=now, claimed_by_id=user.id),
        execution_options={"synchronize_session": False},
    )
    if rowcount(result) != 1:
        db.session.expire(gift)
        check_claimable(gift, now=now)
        raise GiftLinkUsed("This gift has already been claimed.")
    giver = gift.buyer_email
    term = extend_by_year(user, now=now, order_id=gift.order_id, reason=f"Gift from {giver}")
    db.session.execute(
        update(GiftMembership).where(GiftMembership.id == gift.id).values(membership_id=term.id),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(gift)
    return gift


def recent_gifts(*, limit: int = 200) -> list[GiftMembership]:
    """Gift memberships, newest first (the back office list)."""
    query = select(GiftMembership).order_by(GiftMembership.id.desc()).limit(limit)
    return list(db.session.scalars(query))
