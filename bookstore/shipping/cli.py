"""``flask shipping ...``: what shipping abroad costs, as the staff screen keeps it."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from bookstore.errors import BookstoreError
from bookstore.extensions import db
from bookstore.money import parse_amount
from bookstore.shipping import services as shipping

shipping_cli = click.Group("shipping", help="Shipping rates to other countries.")

ELSEWHERE = "elsewhere"


def _name(country: str) -> str:
    return country or ELSEWHERE


def _country(text: str) -> str:
    return "" if text.strip().lower() == ELSEWHERE else text


def _cents(text: str | None, option: str) -> int | None:
    if text is None or text.strip().lower() == "none":
        return None
    try:
        return parse_amount(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an amount such as 12 or 12.50.", param_hint=option
        ) from None


@shipping_cli.command("list")
@with_appcontext
def list_command() -> None:
    """The shop's own country's terms, then each country's abroad."""
    config = current_app.config
    currency = config.get("CURRENCY", "USD")
    home = shipping.home_country(config)
    click.echo(f"{home:<9} {shipping.describe(shipping.home_tariff(config), currency)} (settings)")
    for rate in shipping.all_rates():
        click.echo(f"{_name(rate.country):<9} {shipping.describe(rate, currency)}")


@shipping_cli.command("set")
@click.argument("country")
@click.option("--standard", required=True, help="Standard shipping for the first copy, e.g. 14.")
@click.option("--extra", default="0", show_default=True, help="Each printed copy after the first.")
@click.option("--express", default=None, help="Express for the first copy; leave out for none.")
@click.option(
    "--free-over", default=None, help="Books worth this or more ship free; default never."
)
@click.option("--standard-days", default="", help="Business days in transit, such as 7-12.")
@click.option("--express-days", default="", help="The same for express, such as 3-5.")
@with_appcontext
def set_command(
    country: str,
    standard: str,
    extra: str,
    express: str | None,
    free_over: str | None,
    standard_days: str,
    express_days: str,
) -> None:
    """Add or change shipping to COUNTRY (two letters), or to every country abroad without
    its own rate ("elsewhere")."""
    spec = shipping.RateSpec(
        country=_country(country),
        standard_cents=_cents(standard, "--standard") or 0,
        extra_copy_cents=_cents(extra, "--extra") or 0,
        express_cents=_cents(express, "--express"),
        free_over_cents=_cents(free_over, "--free-over"),
        standard_days=standard_days,
        express_days=express_days,
    )
    try:
        rate, before = shipping.set_rate(spec, config=current_app.config, actor_id=None)
    except BookstoreError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    verb = "Added" if before is None else "Changed"
    currency = current_app.config.get("CURRENCY", "USD")
    click.echo(f"{verb} {_name(rate.country)}: {shipping.describe(rate, currency)}.")


@shipping_cli.command("remove")
@click.argument("country")
@with_appcontext
def remove_command(country: str) -> None:
    """Stop COUNTRY's own rate (it pays "elsewhere", else the shop's own terms)."""
    rate = shipping.find_rate(_country(country))
    if rate is None:
        raise click.ClickException(f"No shipping rate for {country}.")
    name = _name(rate.country)
    shipping.remove_rate(rate)
    db.session.commit()
    click.echo(f"Removed {name}: orders placed keep their shipping.")
