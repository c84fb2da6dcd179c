"""``flask members ...``: grant and end memberships until the staff screens exist."""

from __future__ import annotations

from datetime import UTC, datetime, time

import click
from flask.cli import with_appcontext

from bookstore.dbtypes import utcnow
from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.members.services import (
    end_membership,
    grant_membership,
    membership_status,
    user_by_email,
)

members_cli = click.Group("members", help="Grant, end and look up memberships.")


def _fail(error: BookstoreError):
    db.session.rollback()
    raise click.ClickException(str(error)) from None


@members_cli.command("grant")
@click.argument("email")
@click.option(
    "--until",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Last day of membership (YYYY-MM-DD); it ends at the end of that day, UTC.",
)
@click.option("--reason", default="Granted by staff", show_default=True)
@with_appcontext
def grant_command(email: str, until: datetime, reason: str) -> None:
    """Make EMAIL a member until the given date."""
    now = utcnow()
    ends_at = datetime.combine(until.date(), time.max, tzinfo=UTC).replace(microsecond=0)
    try:
        user = user_by_email(email)
        grant_membership(user, until=ends_at, actor=None, reason=reason, now=now)
    except BookstoreError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{user.email} is a member until {ends_at:%Y-%m-%d}.")


@members_cli.command("end")
@click.argument("email")
@click.option("--reason", required=True, help="Why the membership ends (kept in its history).")
@with_appcontext
def end_command(email: str, reason: str) -> None:
    """End EMAIL's membership now."""
    try:
        user = user_by_email(email)
        end_membership(user, actor=None, reason=reason, now=utcnow())
    except BookstoreError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{user.email} is no longer a member.")


@members_cli.command("show")
@click.argument("email")
@with_appcontext
def show_command(email: str) -> None:
    """Say whether EMAIL is a member and until when."""
    try:
        user = user_by_email(email)
    except BookstoreError as error:
        _fail(error)
    status = membership_status(user, utcnow())
    if status.is_member:
        click.echo(f"{user.email} is a member until {status.ends_at:%Y-%m-%d %H:%M} UTC.")
    else:
        click.echo(f"{user.email} is not a member.")
