"""``flask users ...``: create or promote staff and admin accounts."""

from __future__ import annotations

import os

import click
from flask.cli import with_appcontext

from bookstore.accounts.models import Role
from bookstore.accounts.services import find_user_by_email, grant_role
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
