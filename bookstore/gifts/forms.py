"""Gift forms: the "This is a gift" part of checkout, a gift membership, and the claim."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Form, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError

from bookstore.accounts.forms import name_field, new_password_fields

MESSAGE_MAX = 300


def _strip(value):
    return " ".join(value.split()) if isinstance(value, str) else value


def _strip_lines(value):
    # A message keeps its line breaks, but not the blanks around it.
    return value.strip().replace("\r\n", "\n") if isinstance(value, str) else value


def _message(label: str, rows: int) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[_strip_lines],
        validators=[Length(max=MESSAGE_MAX, message=f"At most {MESSAGE_MAX} characters.")],
        render_kw={"maxlength": MESSAGE_MAX, "rows": rows},
    )


class GiftOptionsForm(Form):
    """The checkout's gift options (a sub-form: the checkout form carries the CSRF token)."""

    is_gift = BooleanField("This is a gift")
    from_name = StringField(
        "Sign the message as (optional)",
        filters=[_strip],
        validators=[Length(max=120, message="At most 120 characters.")],
        render_kw={"maxlength": 120, "autocomplete": "name"},
    )
    message = _message("Gift message (printed on the packing slip)", rows=4)
    wrap = BooleanField("Gift wrap")
    receipt_email = EmailField(
        "Recipient's email for the gift receipt (optional)",
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=254, message="That email address is too long."),
            Email("Enter a valid email address, like name@example.com."),
        ],
        render_kw={"maxlength": 254, "autocomplete": "off"},
    )

    def validate(self, extra_validators=None) -> bool:
        """Not a gift: the options are not used (``choice``), so nothing left in them can hold
        up the order. The page hides them while the box is unticked, where an error would not
        be seen."""
        if not self.is_gift.data:
            return True
        return super().validate(extra_validators)

    def validate_message(self, field) -> None:
        if any(ord(c) < 32 and c not in "\n\t" for c in field.data or ""):
            raise ValidationError("The message can only hold ordinary text.")

    def choice(self) -> dict:
        """The options as plain values for the session (empty when not a gift)."""
        if not self.is_gift.data:
            return {}
        return {
            "is_gift": True,
            "from_name": self.from_name.data or "",
            "message": self.message.data or "",
            "wrap": bool(self.wrap.data) if self.wrap else False,
            "receipt_email": (self.receipt_email.data or "").lower(),
        }


class GiftMembershipForm(FlaskForm):
    """Give a year of membership: who gets it (their email gets the claim link)."""

    recipient_email = EmailField(
        "Recipient's email",
        filters=[_strip],
        validators=[
            InputRequired("Enter the recipient's email address."),
            Length(max=254, message="That email address is too long."),
            Email("Enter a valid email address, like name@example.com."),
        ],
        render_kw={"maxlength": 254, "autocomplete": "off"},
    )
    recipient_name = StringField(
        "Recipient's name (optional)",
        filters=[_strip],
        validators=[Length(max=120, message="At most 120 characters.")],
        render_kw={"maxlength": 120, "autocomplete": "off"},
    )
    message = _message("A message for them (optional)", rows=3)


class ClaimForm(FlaskForm):
    """Claim the gift into the signed-in account (a CSRF-checked button)."""


class ClaimWithNewAccountForm(FlaskForm):
    """Claim the gift into a new account made for the address the gift was sent to."""

    name = name_field()
    password, confirm = new_password_fields()
