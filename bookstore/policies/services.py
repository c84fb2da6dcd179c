"""Policy pages (a saved version, else the default that ships in ``defaults/``) and contact
messages. Nothing here commits; the view does, and the staff email leaves after the commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr
from pathlib import Path

from sqlalchemy import func, select

from bookstore.accounts.export import moment
from bookstore.accounts.models import User
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.mail import send_after_commit
from bookstore.policies.models import ContactMessage, Policy

DEFAULTS = Path(__file__).resolve().parent / "defaults"
MAX_BODY = 50_000


@dataclass(frozen=True)
class PolicyKind:
    slug: str
    title: str
    summary: str


# The pages, in the order the footer and the staff list show them.
POLICIES = {
    kind.slug: kind
    for kind in (
        PolicyKind("shipping", "Shipping", "Where we ship, how fast and what it costs"),
        PolicyKind("returns", "Returns and refunds", "Sending a book back, damaged copies"),
        PolicyKind("privacy", "Privacy", "What we keep about you and why"),
        PolicyKind("terms", "Terms of sale", "The rules of buying from the shop"),
    )
}

CONTACT_TOPICS = {
    "order": "An order I placed",
    "book": "A book or an edition",
    "membership": "Membership and deals",
    "other": "Something else",
}


@dataclass(frozen=True)
class PolicyPage:
    slug: str
    title: str
    body_markdown: str
    updated_at: datetime | None  # None: the shipped default, never edited


def policy_kind(slug: str) -> PolicyKind:
    """The policy named ``slug``; NotFound for any other."""
    kind = POLICIES.get(slug)
    if kind is None:
        raise NotFound("There is no such page.")
    return kind


def default_markdown(slug: str) -> str:
    """The text the shop ships with for this policy."""
    return (DEFAULTS / f"{policy_kind(slug).slug}.md").read_text(encoding="utf-8")


def policy_page(slug: str) -> PolicyPage:
    """What the policy page shows: the staff's version, else the default."""
    kind = policy_kind(slug)
    saved = db.session.scalar(select(Policy).where(Policy.slug == kind.slug))
    if saved is None:
        return PolicyPage(kind.slug, kind.title, default_markdown(kind.slug), None)
    return PolicyPage(saved.slug, saved.title, saved.body_markdown, saved.updated_at)


def save_policy(
    actor, slug: str, *, title: str, body_markdown: str
) -> tuple[Policy, dict[str, str] | None]:
    """Store staff's version of a policy page (flushed); returns it and what it was before
    (None for the first version), for the back office's audit log."""
    kind = policy_kind(slug)
    title, body = (title or "").strip(), (body_markdown or "").strip()
    if not title or not body:
        raise InvalidInput("A policy page needs a title and some text.")
    if len(title) > 120 or len(body) > MAX_BODY:
        raise InvalidInput(f"Keep the title under 120 characters and the text under {MAX_BODY}.")
    policy = db.session.scalar(select(Policy).where(Policy.slug == kind.slug))
    before = None
    if policy is None:
        policy = Policy(slug=kind.slug)
        db.session.add(policy)
    else:
        before = {"title": policy.title, "body_markdown": policy.body_markdown}
    policy.title = title
    policy.body_markdown = body
    policy.updated_by_id = actor.id if actor else None
    db.session.flush()
    return policy, before


def contact_staff(
    *,
    name: str,
    email: str,
    topic: str,
    body: str,
    order_reference: str = "",
    user=None,
    staff_address: str,
) -> ContactMessage:
    """Keep a contact message and queue its email to staff (sent after the commit)."""
    if topic not in CONTACT_TOPICS:
        raise InvalidInput("Choose what your message is about.")
    message = ContactMessage(
        name=name.strip(),
        email=email.strip(),
        topic=topic,
        order_reference=order_reference.strip(),
        body=body.strip(),
        user_id=user.id if user is not None else None,
    )
    db.session.add(message)
    db.session.flush()
    send_after_commit(
        staff_address,
        f"Contact form: {CONTACT_TOPICS[topic]} (from {message.name})",
        "contact_message",
        headers={"Reply-To": formataddr((message.name, message.email))},
        message=message,
        topic_label=CONTACT_TOPICS[topic],
    )
    return message


def _messages_of(user: User):
    """What the reader sent while logged in (a guest's messages are kept by an address that
    an account does not prove it owns)."""
    mine = ContactMessage.user_id == user.id
    return select(ContactMessage).where(mine).order_by(ContactMessage.created_at)


def messages_data(user: User) -> list[dict]:
    """What the reader wrote through the contact form while logged in, for their data file."""
    return [
        {
            "sent_at": moment(message.created_at),
            "topic": message.topic,
            "order": message.order_reference or None,
            "name": message.name,
            "message": message.body,
        }
        for message in db.session.scalars(_messages_of(user))
    ]


def messages_kept(user: User) -> list[str]:
    """Closing the account keeps the correspondence: say so when there is some."""
    if db.session.scalar(select(func.count()).select_from(_messages_of(user).subquery())):
        return [
            "The messages you sent us through the contact form stay with our correspondence; "
            "ask in one more if you want them deleted too."
        ]
    return []
