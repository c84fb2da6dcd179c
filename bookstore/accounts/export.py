"""A reader's copy of their data: everything the shop keeps about their account, in one file.

The account page links to ``/account/data``, which downloads it as JSON. Each feature adds
the part it keeps::

    register_export(app, "orders", lambda user: [order_data(order) for order in ...])

A part is plain JSON values: times as ISO 8601 in UTC (``moment``), amounts in cents with
their currency, editions named by title, format and ISBN.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app

from bookstore.accounts.models import User

_KEY = "bookstore.account_export"


def register_export(app: Flask, name: str, part: Callable[[User], object]) -> None:
    """Add ``part(user)`` to the reader's data, under ``name``."""
    app.extensions.setdefault(_KEY, {})[name] = part


def moment(value: datetime | None) -> str | None:
    """A time as the file gives it: ISO 8601, in UTC."""
    return value.isoformat() if value is not None else None


def edition_data(edition) -> dict:
    """How the file names an edition."""
    return {"title": edition.book.title, "format": edition.format.value, "isbn": edition.isbn13}


def account_data(user: User, now: datetime) -> dict:
    """The whole file for ``user``: the account's own details, then each feature's part."""
    data: dict[str, object] = {
        "shop": current_app.config["SHOP_NAME"],
        "exported_at": moment(now),
        "account": {
            "name": user.name,
            "email": user.email,
            "email_confirmed_at": moment(user.email_confirmed_at),
            "role": user.role.value,
            "opened_at": moment(user.created_at),
            "last_login_at": moment(user.last_login_at),
        },
    }
    for name, part in sorted(current_app.extensions.get(_KEY, {}).items()):
        data[name] = part(user)
    return data
