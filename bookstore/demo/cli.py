"""``flask demo``: the demo catalog and synthetic books for load tests."""

import click
from flask.cli import with_appcontext

demo_cli = click.Group("demo", help="Demo data: the publisher's books and synthetic catalogs.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the catalog already has books.")
@with_appcontext
def load_command(if_empty: bool) -> None:
    """Load (or refresh) the demo catalog, journal post and deals. Safe to run again."""
    from bookstore.demo.catalog import load_demo

    load_demo(if_empty=if_empty, echo=click.echo)


@demo_cli.command("generate")
@click.option("--books", "count", type=click.IntRange(1, 2_000_000), required=True)
@click.option("--seed", type=int, default=1, show_default=True)
@with_appcontext
def generate_command(count: int, seed: int) -> None:
    """Add COUNT synthetic books (with editions) for load tests."""
    from bookstore.demo.synthetic import generate_books

    generate_books(count, seed=seed, echo=click.echo)
