"""``flask serve``: run the shop for a person at a keyboard (``make run``)."""

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the shop with the development server and print its address."""
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    url = f"http://{host}:{port}"
    click.secho(f"\n  The shop is running at {url}  (Ctrl+C stops it)\n", fg="green", bold=True)
    run_simple(host, port, app, use_reloader=False, threaded=True)
