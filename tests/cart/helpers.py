"""Helpers of the cart tests: the per-line maximum, reading a cart back, logging a client in."""

from bookstore.cart import services
from bookstore.extensions import db
from tests.factories import make_user

MAX = 10


def snapshot(cart) -> list[tuple[int, int, int]]:
    """(edition id, quantity, price seen) of every line, read from the database."""
    db.session.expire_all()
    return [(ln.edition_id, ln.quantity, ln.price_seen_cents) for ln in services.cart_lines(cart)]


def log_in(client, user) -> None:
    """Log the test client in as ``user`` without going through the login form."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def new_user(**fields):
    user = make_user(**fields)
    db.session.commit()
    return user
