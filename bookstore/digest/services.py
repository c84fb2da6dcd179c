"""Digest subscriptions: sign-up with double opt-in, confirmation and one-click unsubscribe."""

from __future__ import annotations

from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bookstore.digest.models import Subscriber, SubscriberStatus
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db

CONFIRM_SALT = "digest-confirm"
CONFIRM_MAX_AGE = timedelta(days=7)
# A pending address gets at most one confirmation email in this interval.
RESEND_INTERVAL = timedelta(minutes=10)


def normalise_email(raw: str) -> str:
    """A checked, lower-cased address; raises InvalidInput with the reason otherwise."""
    raw = (raw or "").strip()
    if not raw:
        raise InvalidInput("Enter your email address.")
    if len(raw) > 254:
        raise InvalidInput("That email address is too long.")
    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(f"That email address is not valid: {error}") from None
    return checked.normalized.lower()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)


def confirmation_token(subscriber: Subscriber) -> str:
    """A signed token for the confirmation link (binds the id and the address)."""
    return _serializer().dumps({"id": subscriber.id, "email": subscriber.email})


def subscribe(raw_email: str, now: datetime) -> Subscriber | None:
    """Sign ``raw_email`` up (pending); returns the subscriber to email a confirmation, or None.

    None when nothing should be sent: already confirmed, or a confirmation went out moments
    ago. The caller shows the same answer either way, so the form reveals nothing.
    """
    email = normalise_email(raw_email)
    subscriber = db.session.scalar(select(Subscriber).where(Subscriber.email == email))
    if subscriber is None:
        subscriber = Subscriber(email=email, status=SubscriberStatus.PENDING, created_at=now)
        savepoint = db.session.begin_nested()
        try:
            db.session.add(subscriber)
            db.session.flush()
        except IntegrityError:
            # The same address signed up in a parallel request: theirs stands.
            savepoint.rollback()
            return None
        savepoint.commit()
    elif subscriber.status is SubscriberStatus.CONFIRMED:
        return None
    elif subscriber.status is SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.PENDING
    elif (
        subscriber.confirmation_sent_at and now - subscriber.confirmation_sent_at < RESEND_INTERVAL
    ):
        return None
    subscriber.confirmation_sent_at = now
    db.session.flush()
    return subscriber


def confirm(token: str, now: datetime) -> Subscriber:
    """Confirm the subscription the signed ``token`` names."""
    try:
        data = _serializer().loads(token, max_age=int(CONFIRM_MAX_AGE.total_seconds()))
    except SignatureExpired:
        raise InvalidInput(
            "That confirmation link has expired. Sign up again to get a new one."
        ) from None
    except BadSignature:
        raise InvalidInput("That confirmation link is not valid.") from None
    subscriber = db.session.get(Subscriber, data.get("id")) if isinstance(data, dict) else None
    if subscriber is None or subscriber.email != data.get("email"):
        raise NotFound("That subscription no longer exists. Sign up again.")
    if subscriber.status is not SubscriberStatus.CONFIRMED:
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = now
        subscriber.unsubscribed_at = None
        db.session.flush()
    return subscriber


def subscriber_by_unsubscribe_token(token: str) -> Subscriber:
    """The subscriber whose unsubscribe link this is."""
    subscriber = None
    if token and len(token) <= 64:
        subscriber = db.session.scalar(
            select(Subscriber).where(Subscriber.unsubscribe_token == token)
        )
    if subscriber is None:
        raise NotFound("That unsubscribe link is not valid (it may be from an old address).")
    return subscriber


def unsubscribe(token: str, now: datetime) -> Subscriber:
    """Stop the digest for the subscriber with this token; doing it twice is harmless."""
    subscriber = subscriber_by_unsubscribe_token(token)
    if subscriber.status is not SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = now
        db.session.flush()
    return subscriber


def subscription_of(email: str) -> Subscriber | None:
    """The subscription row for this address, if any (for the account page)."""
    return db.session.scalar(select(Subscriber).where(Subscriber.email == email.lower()))
