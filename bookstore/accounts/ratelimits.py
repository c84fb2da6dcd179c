"""Rate limits on login, reset and sign-up: per client IP and per submitted email address.

The limits are settings (``ACCOUNT_RATELIMIT_PER_IP``, ``ACCOUNT_RATELIMIT_PER_ACCOUNT``,
``SIGNUP_RATELIMIT_PER_IP``), read on each request. Counters live in Redis when ``REDIS_URL`` is
set and in memory otherwise; if Redis goes down, Flask-Limiter falls back to memory
(``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``), so limits still hold and nothing errors.
"""

from __future__ import annotations

import hashlib
import os

from flask import current_app, request

IP_MESSAGE = "Too many attempts from your network. Wait a minute, then try again."
ACCOUNT_MESSAGE = "Too many attempts for this account. Wait a minute, then try again."


def _setting(name: str, default: str) -> str:
    # App config first (tests, create_app), then the environment, then the default.
    return current_app.config.get(name) or os.environ.get(name) or default


def ip_limit() -> str:
    """Attempts allowed per client IP."""
    return _setting("ACCOUNT_RATELIMIT_PER_IP", "10/minute")


def account_limit() -> str:
    """Attempts allowed per email address, whichever IPs they come from."""
    return _setting("ACCOUNT_RATELIMIT_PER_ACCOUNT", "5/minute")


def signup_limit() -> str:
    """Sign-ups allowed per client IP."""
    return _setting("SIGNUP_RATELIMIT_PER_IP", "10/hour")


def submitted_email() -> str:
    """The rate-limit key of the email address in the form (hashed: keys may be logged)."""
    email = request.form.get("email", "").strip().lower()[:254]
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:32]
