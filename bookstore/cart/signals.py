"""Merging a guest's cart into the user's when they log in (Flask-Login's signal)."""

from __future__ import annotations

from flask import Flask, flash, has_request_context, session
from flask_login import user_logged_in
from sqlalchemy.exc import SQLAlchemyError

from bookstore.accounts.models import User
from bookstore.cart.services import SESSION_KEY, merge_on_login
from bookstore.extensions import db


def connect_login_merge(app: Flask) -> None:
    """Merge guest carts on every login to ``app`` (called once, when the blueprint is set up)."""
    user_logged_in.connect(merge_guest_cart_on_login, sender=app)


def merge_guest_cart_on_login(app: Flask, user: User | None = None, **_extra: object) -> None:
    """Receiver of ``user_logged_in``: move the session's guest cart into the user's cart."""
    if user is None or not has_request_context():
        return
    token = session.get(SESSION_KEY)
    if not token:
        return
    try:
        notes = merge_on_login(user, token, max_per_line=app.config["CART_MAX_PER_LINE"])
        # Committed here, not left to the login view: the merge must not depend on where
        # that view puts its own commit relative to login_user().
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        app.logger.exception("Could not merge the guest cart of user %s", user.id)
        flash("We could not add your guest cart to your account just now.", "warning")
        return
    # The guest cart is gone; the user's cart is found by the user from now on.
    session.pop(SESSION_KEY, None)
    for note in notes:
        flash(note, "info")
