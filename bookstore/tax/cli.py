"""``flask tax ...``: the sales tax rates, as the staff screen keeps them."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.tax import services as tax

tax_cli = click.Group("tax", help="Sales tax rates by country and state or province.")


def _place(country: str, region: str) -> str:
    return f"{country}/{region}" if region else country


@tax_cli.command("list")
@with_appcontext
def list_command() -> None:
    """Each rate: place, rate, name, and whether shipping and ebooks are taxed."""
    rates = tax.all_rates()
    if not rates:
        click.echo("No rates: no order pays sales tax.")
    for rate in rates:
        also = [
            w for w, on in (("shipping", rate.taxes_shipping), ("ebooks", rate.taxes_ebooks)) if on
        ]
        click.echo(
            f"{_place(rate.country, rate.region):<8} {tax.rate_label(rate.rate):>8}  {rate.name}"
            + (f" (also on {' and '.join(also)})" if also else "")
        )


@tax_cli.command("set")
@click.argument("country")
@click.argument("region", default="")
@click.option("--rate", "rate_text", required=True, help="A percentage, such as 6 or 8.875.")
@click.option("--name", required=True, help="As receipts show it, such as 'Vermont sales tax'.")
@click.option("--shipping/--no-shipping", default=True, show_default=True, help="Tax shipping.")
@click.option("--ebooks/--no-ebooks", default=True, show_default=True, help="Tax ebooks.")
@with_appcontext
def set_command(
    country: str, region: str, rate_text: str, name: str, shipping: bool, ebooks: bool
) -> None:
    """Add or change the rate for COUNTRY (two letters) or its REGION (a state's code)."""
    try:
        spec = tax.RateSpec(country, region, name, tax.parse_rate(rate_text), shipping, ebooks)
        rate, before = tax.set_rate(spec, actor_id=None)
    except BookstoreError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    verb = "Added" if before is None else "Changed"
    click.echo(f"{verb} {_place(rate.country, rate.region)}: {tax.rate_label(rate.rate)}.")


@tax_cli.command("remove")
@click.argument("country")
@click.argument("region", default="")
@with_appcontext
def remove_command(country: str, region: str) -> None:
    """Stop charging tax for COUNTRY or its REGION (orders placed keep theirs)."""
    rate = tax.find_rate(country, region)
    if rate is None:
        raise click.ClickException(f"No rate for {_place(country.upper(), region)}.")
    place = _place(rate.country, rate.region)
    tax.remove_rate(rate)
    db.session.commit()
    click.echo(f"Removed {place}: new orders there pay no sales tax.")
