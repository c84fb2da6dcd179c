"""``flask users ...``: create or promote staff and admin accounts; give a reader their data
or close their account when they ask by letter."""

from __future__ import annotations

import json
import os

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from bookstore.accounts.closing import AccountCannotClose, close_account
from bookstore.accounts.export import account_data
from bookstore.accounts.models import Role, User
from bookstore.accounts.services import find_user_by_email, grant_role
from bookstore.dbtypes import utcnow
from bookstore.errors import BookstoreError
from bookstore.extensions import db

PASSWORD_ENV = "BOOKSTORE_PASSWORD"  # noqa: S105 (a variable name, not a password)


@click.group("users")
def users_cli() -> None:
    """Manage user accounts."""


def _grant(email: str, role: Role, name: str | None) -> None:
    email = email.strip().lower()
    if "@" not in email:
        raise click.BadParameter("give an email address, like ana@example.com", param_hint="EMAIL")
    password = None
    if find_user_by_email(email) is None:
        password = os.environ.get(PASSWORD_ENV)
        if password is None:
            password = click.prompt(
                f"Password for {email}", hide_input=True, confirmation_prompt=True
            )
    try:
        user, created = grant_role(email, role, password=password, name=name)
    except BookstoreError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    if created:
        click.echo(f"Created {user.email} with the role {user.role.value}.")
    elif user.role is role:
        click.echo(f"{user.email} now has the role {user.role.value}.")
    else:
        click.echo(f"{user.email} keeps the role {user.role.value}, which includes {role.value}.")


_NAME = click.option("--name", help="Display name of a new account (default: the email's name).")
_HELP = (
    "Create the account EMAIL with the role {role}, or promote it if it exists. A new account's "
    f"password is read from ${PASSWORD_ENV} if set, else asked for twice."
)


@users_cli.command("create-staff", help=_HELP.format(role="staff"))
@click.argument("email")
@_NAME
@with_appcontext
def create_staff(email: str, name: str | None) -> None:
    _grant(email, Role.STAFF, name)


@users_cli.command("create-admin", help=_HELP.format(role="admin"))
@click.argument("email")
@_NAME
@with_appcontext
def create_admin(email: str, name: str | None) -> None:
    _grant(email, Role.ADMIN, name)


@users_cli.command("export")
@click.argument("email")
@with_appcontext
def export(email: str) -> None:
    """Print the account EMAIL's data file (JSON), as its owner downloads it from their
    account page: for a reader who asks for it by letter or through the contact form."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email.strip().lower()}.")
    click.echo(json.dumps(account_data(user, utcnow()), indent=2, ensure_ascii=False))


@users_cli.command("close")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def close(email: str, yes: bool) -> None:
    """Close the account EMAIL at its owner's request, as they can from their account page.

    Its sign-in, addresses, wishlist, cart, reviews and alerts are deleted; its orders stay,
    without the account. An order still under way stops it.
    """
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email.strip().lower()}.")
    if user.is_admin and _admin_count() == 1:
        raise click.ClickException(f"{user.email} is the only admin: make another one first.")
    if not yes:
        click.confirm(f"Close the account {user.email} ({user.role.value})?", abort=True)
    try:
        closed = close_account(user, password=None, by_staff=True)
    except AccountCannotClose as error:
        db.session.rollback()
        lines = "\n".join(f"  - {stop.text}" for stop in error.stops)
        raise click.ClickException(f"{user.email} cannot close yet:\n{lines}") from None
    except BookstoreError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Closed the account {closed}; a note is on its way to that address.")


def _admin_count() -> int:
    return db.session.scalar(select(func.count()).where(User.role == Role.ADMIN)) or 0
