"""Closing an account: the reader's own, from the account page, or staff's ``flask users close``.

Closing deletes the user's row. The database's foreign keys do most of the rest: addresses,
wishlist, cart, membership, deal claims and the account's alerts go with it (``ON
DELETE CASCADE``), and orders, gifts and codes used stay for the shop's bookkeeping without the
account (``SET NULL``); every order keeps the email and address it was sent to, and its emailed
link still opens it. What is kept by email address alone (the digest, alerts set as a guest) is
not the account's, since no one proves an address to open one (a confirmed address brings in
only what features register: the orders placed and the confirmed alerts set as a guest):
closing leaves it alone. Other
features say what else closing means for them::

    register_closure(app, stops=order_stops)                  # checkout
    register_closure(app, warns=_membership_ends)             # members
    register_closure(app, removes=reviews.forget_reader)      # reviews

- ``stops(user)``: reasons the account cannot close yet (an order not shipped), each a
  ``Stop`` with a link to where the reader can settle it;
- ``warns(user)``: what the reader should know before they confirm (a membership ends);
- ``removes(user)``: what the cascades cannot do (the reviews' ratings and helpful counts,
  kept on other rows), run in the closing transaction before the row goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import delete, select

from bookstore.accounts.models import User
from bookstore.accounts.passwords import verify_password
from bookstore.accounts.services import WrongPassword
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.links import external_url
from bookstore.mail import send_after_commit

_KEY = "bookstore.account_closure"


@dataclass(frozen=True)
class Stop:
    """Something that must be settled before the account can close, and where to settle it."""

    text: str
    url: str | None = None
    link: str = "See it"  # the link's words


@dataclass(frozen=True)
class ClosureHooks:
    stops: Callable[[User], Iterable[Stop]] | None = None
    warns: Callable[[User], Iterable[str]] | None = None
    removes: Callable[[User], None] | None = None


class AccountCannotClose(InvalidInput):
    """Something stands in the way of closing the account; ``stops`` say what."""

    def __init__(self, stops: list[Stop]):
        super().__init__(" ".join(stop.text for stop in stops))
        self.stops = stops


STAFF_STOP = Stop(
    "A staff or admin account cannot be closed from the shop: ask an admin to close it "
    "from a terminal (flask users close)."
)


def register_closure(
    app: Flask,
    *,
    stops: Callable[[User], Iterable[Stop]] | None = None,
    warns: Callable[[User], Iterable[str]] | None = None,
    removes: Callable[[User], None] | None = None,
) -> None:
    """Tell closing what it means for a feature (see the module's docstring)."""
    app.extensions.setdefault(_KEY, []).append(ClosureHooks(stops, warns, removes))


def _hooks() -> list[ClosureHooks]:
    return current_app.extensions.get(_KEY, [])


def closure_stops(user: User, *, by_staff: bool = False) -> list[Stop]:
    """What must be settled before ``user``'s account can close (nothing: it can close now)."""
    found = [] if by_staff or not user.is_staff else [STAFF_STOP]
    for hooks in _hooks():
        if hooks.stops is not None:
            found.extend(hooks.stops(user))
    return found


def closure_warnings(user: User) -> list[str]:
    """What the reader loses or keeps by closing, beyond what every account loses."""
    return [text for hooks in _hooks() if hooks.warns is not None for text in hooks.warns(user)]


def close_account(user: User, *, password: str | None, by_staff: bool = False) -> str:
    """Delete ``user``'s account and what belongs only to it; return the address it had.

    The reader confirms with their ``password``; staff closing an account at its owner's
    request pass ``by_staff=True`` and no password. The user's row is locked first, so two
    closings at once close it once (the second finds nothing and raises ``NotFound``), and
    the stops are checked under that lock. The caller commits, and ends the session.
    """
    if not by_staff and not verify_password(user.password_hash, password or ""):
        raise WrongPassword("Your password is not right.")
    user_id = user.id
    locked = db.session.execute(
        select(User.id).where(User.id == user_id).with_for_update()
    ).scalar()
    if locked is None:
        raise NotFound("That account is already closed.")
    stops = closure_stops(user, by_staff=by_staff)
    if stops:
        raise AccountCannotClose(stops)
    email, name = user.email, user.name
    for hooks in _hooks():
        if hooks.removes is not None:
            hooks.removes(user)
    db.session.execute(delete(User).where(User.id == user_id))
    db.session.expunge(user)
    send_after_commit(
        email,
        f"Your {current_app.config['SHOP_NAME']} account is closed",
        "account_closed",
        name=name,
        contact_url=external_url("policies.contact"),
    )
    return email
