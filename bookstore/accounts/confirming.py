"""Confirming an account's email address.

An account opens and logs in at once, without proving its address. A signed link, mailed at
sign-up, on the reader's request and to a changed address, proves the reader reads that
mailbox; then what the shop kept by that address joins the account. Features say what
(``register_confirmed(app, hook)``): checkout moves the orders placed as a guest with the
address into the account. The hooks run again at each login of a confirmed account, for
what was placed as a guest since. Each hook returns a sentence for the reader, or None.

The link carries the user's id and address: once the address changes, older links stop
working. It works for seven days, and again if used twice (confirming is idempotent).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bookstore.accounts.models import User
from bookstore.dbtypes import utcnow
from bookstore.errors import InvalidInput
from bookstore.extensions import db
from bookstore.links import external_url
from bookstore.mail import send_after_commit

_KEY = "bookstore.account_confirmed"
_SALT = "bookstore.email-confirm"
MAX_AGE = 7 * 24 * 3600

ConfirmedHook = Callable[[User], str | None]


class InvalidConfirmLink(InvalidInput):
    """A forged or expired link, or one made for an address the account no longer has."""


def register_confirmed(app: Flask, hook: ConfirmedHook) -> None:
    """Run ``hook(user)`` when the user's address is confirmed, and at each later login."""
    app.extensions.setdefault(_KEY, []).append(hook)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def confirm_url(user: User) -> str:
    """The link that confirms the user's current address."""
    token = _serializer().dumps({"uid": user.id, "email": user.email})
    return external_url("accounts.confirm_email", token=token)


def send_confirmation(user: User) -> None:
    """Mail the link to the user's address (after the commit)."""
    send_after_commit(
        user.email,
        "Confirm your email address",
        "confirm_email",
        name=user.name,
        confirm_url=confirm_url(user),
    )


def joined(user: User) -> list[str]:
    """Bring what is kept by the user's (confirmed) address into the account; what joined."""
    hooks: list[ConfirmedHook] = current_app.extensions.get(_KEY, [])
    return [said for hook in hooks if (said := hook(user))]


def _user_for(token: str) -> User | None:
    """The user whose current address the link was made for, or None."""
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = db.session.get(User, data["uid"])
    return user if user is not None and data.get("email") == user.email else None


def confirm_email(token: str) -> tuple[User, list[str]]:
    """Confirm the address the link was made for; returns the user and what joined."""
    user = _user_for(token)
    if user is None:
        raise InvalidConfirmLink(
            "That confirmation link has expired, or was made for another address. Log in and "
            "ask for a new one on your account page."
        )
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    db.session.flush()
    return user, joined(user)
