"""``flask demo``: the demo catalog and synthetic books for load tests."""

import click

demo_cli = click.Group("demo", help="Demo data: the publisher's books and synthetic catalogs.")
