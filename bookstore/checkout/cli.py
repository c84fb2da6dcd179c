"""``flask checkout ...``: maintenance of checkouts."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from bookstore.checkout.expiry import expire_stale
from bookstore.dbtypes import utcnow

checkout_cli = AppGroup("checkout", help="Checkout maintenance.")


@checkout_cli.command("expire-stale")
def expire_stale_command() -> None:
    """Release lapsed stock reservations and expire abandoned orders (safe to repeat)."""
    counts = expire_stale(now=utcnow(), config=current_app.config)
    click.echo(
        f"Released {counts['released']} reservation(s); expired {counts['expired']} order(s); "
        f"fulfilled {counts['fulfilled']} paid order(s); "
        f"{counts['awaiting payment']} awaiting a delayed payment; "
        f"{counts['skipped (Stripe unavailable)']} skipped (Stripe unavailable)."
    )
