"""Deal forms."""

from flask_wtf import FlaskForm


class ClaimForm(FlaskForm):
    """The Claim button: an empty form, so the POST is CSRF-checked."""
