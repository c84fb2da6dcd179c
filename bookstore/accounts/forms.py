"""Account forms. Passwords are never stripped or otherwise filtered."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from bookstore.accounts.passwords import MAX_LENGTH, MIN_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field(label: str = "Email address") -> EmailField:
    return EmailField(
        label,
        filters=[_strip],
        validators=[
            InputRequired("Enter your email address."),
            Length(max=254, message="That email address is too long."),
            Email("Enter a valid email address, like name@example.com."),
        ],
        render_kw={"autocomplete": "email", "maxlength": 254},
    )


def new_password_fields():
    password = PasswordField(
        "New password",
        validators=[InputRequired("Choose a password.")],
        description=f"{MIN_LENGTH} to {MAX_LENGTH} characters. A few unrelated words work well.",
        render_kw={"autocomplete": "new-password", "minlength": MIN_LENGTH},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            InputRequired("Repeat the password."),
            EqualTo("password", "The two passwords do not match."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def _no_control_characters(_form, field) -> None:
    if any(ord(ch) < 32 for ch in field.data or ""):
        raise ValidationError("Use letters, spaces and punctuation only.")


def name_field() -> StringField:
    """The account holder's name, as sign-up asks for it."""
    return StringField(
        "Your name",
        filters=[_strip],
        validators=[
            InputRequired("Enter your name."),
            Length(max=120, message="Use at most 120 characters for your name."),
            _no_control_characters,
        ],
        render_kw={"autocomplete": "name", "maxlength": 120},
    )


class SignupForm(FlaskForm):
    name = name_field()
    email = _email_field()
    password, confirm = new_password_fields()


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me logged in on this device")
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()


class ChangeEmailForm(FlaskForm):
    email = _email_field("New email address")
    password = PasswordField(
        "Your password",
        validators=[InputRequired("Enter your password to confirm the change.")],
        render_kw={"autocomplete": "current-password"},
    )


class ConfirmForm(FlaskForm):
    """An empty form: a POST button with its CSRF token (log out)."""


class CloseAccountForm(FlaskForm):
    password = PasswordField(
        "Your password",
        validators=[InputRequired("Enter your password to close your account.")],
        render_kw={"autocomplete": "current-password"},
    )
