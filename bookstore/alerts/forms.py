"""Alert forms: a guest gives an address; signed-in readers post an empty (CSRF) form."""

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField
from wtforms.validators import DataRequired, Length


class AlertForm(FlaskForm):
    """ "Email me when it's available": the address is asked only of guests."""

    edition_id = HiddenField()
    email = EmailField("Your email address", validators=[Length(max=254)])
    next = HiddenField()


class GuestAlertForm(AlertForm):
    email = EmailField(
        "Your email address",
        validators=[DataRequired("Enter your email address."), Length(max=254)],
    )


class ButtonForm(FlaskForm):
    """A POST-only button (CSRF-checked)."""
