"""Registers the command-line groups of every feature (``flask --help`` lists them)."""

from flask import Flask


def register(app: Flask) -> None:
    from bookstore.accounts.cli import users_cli
    from bookstore.alerts.cli import alerts_cli
    from bookstore.cart.cli import carts_cli
    from bookstore.checkout.cli import checkout_cli
    from bookstore.deals.cli import deals_cli
    from bookstore.demo.cli import demo_cli
    from bookstore.digest.cli import digest_cli
    from bookstore.jobs.cli import jobs_cli
    from bookstore.members.cli import members_cli
    from bookstore.ops.doctor import doctor_command
    from bookstore.serve import serve_command
    from bookstore.shipping.cli import shipping_cli
    from bookstore.staff.cli import catalog_cli
    from bookstore.staff.cover_cli import covers_cli
    from bookstore.stripe_sandbox.cli import stripe_sandbox_command
    from bookstore.tax.cli import tax_cli

    app.cli.add_command(carts_cli)
    app.cli.add_command(alerts_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(checkout_cli)
    app.cli.add_command(deals_cli)
    app.cli.add_command(digest_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(members_cli)
    app.cli.add_command(doctor_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(catalog_cli)
    app.cli.add_command(covers_cli)
    app.cli.add_command(stripe_sandbox_command)
    app.cli.add_command(tax_cli)
    app.cli.add_command(shipping_cli)
