"""Signed, time-limited password-reset tokens that work once, without a table.

The token carries the user id and a fingerprint of the current password hash. Setting a new
password changes the hash, so every token issued before (including the one just used) stops
matching: single use, and a reset also voids older links.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bookstore.accounts.models import User
from bookstore.extensions import db

_SALT = "bookstore.password-reset"
DEFAULT_MAX_AGE = 3600


def reset_max_age() -> int:
    """How long a reset link works, in seconds (``PASSWORD_RESET_MAX_AGE``, default 1 hour)."""
    raw = current_app.config.get("PASSWORD_RESET_MAX_AGE") or os.environ.get(
        "PASSWORD_RESET_MAX_AGE", ""
    )
    try:
        return max(int(raw), 1) if str(raw).strip() else DEFAULT_MAX_AGE
    except ValueError:
        return DEFAULT_MAX_AGE


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _fingerprint(user: User) -> str:
    # Keyed, so the token reveals nothing about the hash it was made from.
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()
    return digest[:20]


def make_reset_token(user: User) -> str:
    """A token that lets its holder set a new password for ``user`` once."""
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The user the token was made for, or None if it is forged, expired or already used."""
    try:
        data = _serializer().loads(token, max_age=reset_max_age())
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = db.session.get(User, data["uid"])
    if user is None or not hmac.compare_digest(str(data.get("fp", "")), _fingerprint(user)):
        return None
    return user
