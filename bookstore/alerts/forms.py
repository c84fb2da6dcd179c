"""Alert forms: a guest gives an address; signed-in readers post an empty (CSRF) form."""

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField
from wtforms.validators import DataRequired, Length

from bookstore.cart.rules import parse_id
from bookstore.edge import MAX_DATABASE_INT
from bookstore.errors import InvalidInput


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


def read_edition_id(raw: str | None) -> int:
    """An edition id from a form; InvalidInput for anything that cannot name a row."""
    edition_id = parse_id(raw)
    if edition_id > MAX_DATABASE_INT:
        raise InvalidInput("That book could not be found.")
    return edition_id
