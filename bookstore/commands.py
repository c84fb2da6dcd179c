"""Registers the command-line groups of every feature (``flask --help`` lists them)."""

from flask import Flask


def register(app: Flask) -> None:
    from bookstore.catalog.cli import demo_cli
    from bookstore.serve import serve_command

    app.cli.add_command(demo_cli)
    app.cli.add_command(serve_command)
