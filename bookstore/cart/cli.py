"""``flask carts``: housekeeping of shopping carts."""

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

carts_cli = click.Group("carts", help="Shopping carts: purge abandoned guest carts.")


@carts_cli.command("purge")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=1),
    default=None,
    help="Age in days since the last change (default: CART_GUEST_TTL_DAYS).",
)
@with_appcontext
def purge_command(older_than_days: int | None) -> None:
    """Delete guest carts nobody changed for a while. Users' carts are never deleted."""
    from bookstore.cart.services import purge_guest_carts
    from bookstore.extensions import db

    days = older_than_days or int(current_app.config["CART_GUEST_TTL_DAYS"])
    deleted = purge_guest_carts(older_than=timedelta(days=days))
    db.session.commit()
    carts = "cart" if deleted == 1 else "carts"
    click.echo(f"Deleted {deleted} guest {carts} unchanged for {days} days or more.")
