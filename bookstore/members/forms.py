"""Membership forms."""

from flask_wtf import FlaskForm


class JoinForm(FlaskForm):
    """The buy/renew button: an empty form, so the POST is CSRF-checked."""
