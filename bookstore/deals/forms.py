"""Deal forms."""

from flask_wtf import FlaskForm


# Flask-WTF ships no type information: its base class is Any to mypy.
class ClaimForm(FlaskForm):  # type: ignore[misc]
    """The Claim button: an empty form, so the POST is CSRF-checked."""
