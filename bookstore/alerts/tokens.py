"""Signed tokens for the links in alert and reminder emails (no table, nothing to guess).

A confirmation link expires; an unsubscribe link does not (it must work from an old email).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bookstore.errors import InvalidInput

CONFIRM = "bookstore.stock-alert.confirm"
STOP_ALERTS = "bookstore.stock-alert.unsubscribe"
STOP_REMINDERS = "bookstore.cart-reminder.unsubscribe"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(purpose: str, data: dict[str, Any]) -> str:
    """A URL-safe token carrying ``data``, signed for one ``purpose``."""
    return _serializer(purpose).dumps(data)


def read_token(purpose: str, token: str, *, max_age: int | None = None) -> dict[str, Any]:
    """The data of a token made for ``purpose``; InvalidInput if forged, altered or expired."""
    if not token or len(token) > 500:
        raise InvalidInput("That link is not valid.")
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidInput("That link has expired. Ask again for a new one.") from None
    except BadSignature:
        raise InvalidInput("That link is not valid (it may be cut short).") from None
    if not isinstance(data, dict):
        raise InvalidInput("That link is not valid.")
    return data
