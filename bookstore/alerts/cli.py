"""``flask alerts``: release due availability alerts, queue cart reminders, list waiting counts."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from bookstore.alerts.services import waiting_counts
from bookstore.catalog.models import Edition
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.jobs import schedules

alerts_cli = click.Group("alerts", help="Availability alerts and cart reminders.")


@alerts_cli.command("release")
@with_appcontext
def release_command() -> None:
    """Email readers whose edition can be ordered now (the worker does this hourly)."""
    released = schedules.release_due_alerts(now=utcnow())
    click.echo(f"{released} alert(s) ended; their emails are queued.")


@alerts_cli.command("remind-carts")
@with_appcontext
def remind_command() -> None:
    """Queue the one reminder of each cart left for CART_REMINDER_HOURS (the worker does this
    every quarter hour)."""
    queued = schedules.queue_cart_reminders(now=utcnow())
    click.echo(f"{queued} cart reminder(s) queued.")


@alerts_cli.command("waiting")
@with_appcontext
def waiting_command() -> None:
    """How many readers wait for each edition, most first."""
    counts = waiting_counts()
    if not counts:
        click.echo("No one is waiting.")
        return
    editions = {
        e.id: e for e in db.session.scalars(select(Edition).where(Edition.id.in_(list(counts))))
    }
    for edition_id, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        edition = editions[edition_id]
        click.echo(f"{count:5d}  {edition.isbn13}  {edition.book.title} ({edition.format.value})")
