"""``flask serve``: run the shop for a person at a keyboard (``make run``).

With no ``STRIPE_SECRET_KEY`` (and no ``STRIPE_API_BASE`` pointing at a stand-in already
running), the Stripe test stand-in starts in a background thread on port 12111 (or a free
port), sends its signed webhooks to this shop's ``/stripe/webhook`` and keeps its state in
``instance/stripe-sandbox.json``; the shop is configured to use it. No money moves.
The job worker (email, checkout expiry, the weekly digest) runs on threads of the same process,
as ``flask jobs worker`` would, and stops with it.
"""

from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

STANDIN_PORT = 12111


def start_standin(app: Flask, shop_host: str, shop_port: int, standin_port: int = STANDIN_PORT):
    """Start the Stripe stand-in for ``app`` and point the app at it; returns the server."""
    from bookstore.stripe_sandbox.server import SandboxServer, default_state_path, port_is_free

    webhook_host = "127.0.0.1" if shop_host in {"0.0.0.0", "::", ""} else shop_host  # noqa: S104
    if ":" in webhook_host:
        webhook_host = f"[{webhook_host}]"
    options: dict[str, Any] = {
        "state_path": default_state_path(app.instance_path),
        "webhook_url": f"http://{webhook_host}:{shop_port}/stripe/webhook",
        "webhook_secret": app.config.get("STRIPE_WEBHOOK_SECRET"),
    }
    port = standin_port if standin_port and port_is_free("127.0.0.1", standin_port) else 0
    try:
        server = SandboxServer("127.0.0.1", port, **options).start()
    except OSError:  # taken between the check and the bind: any free port will do
        server = SandboxServer("127.0.0.1", 0, **options).start()
    app.config["STRIPE_API_BASE"] = server.url
    app.config["STRIPE_WEBHOOK_SECRET"] = server.sandbox.webhook_secret
    return server


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the shop with the development server and print its address."""
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    standin = None
    if not app.config.get("STRIPE_SECRET_KEY"):
        if app.config.get("STRIPE_API_BASE"):
            click.echo(f"  Payments: the Stripe stand-in at {app.config['STRIPE_API_BASE']}")
        else:
            standin = start_standin(app, host, port)
            click.secho(
                f"\n  Payments go to the Stripe test stand-in at {standin.url}  (no money moves)"
                f"\n  Its dashboard (settle delayed payments, replay webhooks): "
                f"{standin.url}/_sandbox/",
                fg="yellow",
            )
    worker = None
    if not app.config.get("JOBS_RUN_INLINE"):
        from bookstore.jobs.queue import start_in_process

        worker = start_in_process(app, workers=app.config["JOBS_WORKERS"])
        click.echo(
            f"  Background jobs (email, expiry, the weekly digest): "
            f"{worker.workers} worker thread(s) and the scheduler"
        )
    url = f"http://{host}:{port}"
    if app.config.get("SHOP_BASE_URL_DEFAULTED"):
        # Links (emails, canonical, feeds) point at this server: SHOP_BASE_URL was not given.
        shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104
        app.config["SHOP_BASE_URL"] = (
            f"http://[{shown}]:{port}" if ":" in shown else (f"http://{shown}:{port}")
        )
        if shown not in app.config["TRUSTED_HOSTS"]:
            app.config["TRUSTED_HOSTS"] = [*app.config["TRUSTED_HOSTS"], shown]
    click.secho(f"\n  The shop is running at {url}  (Ctrl+C stops it)\n", fg="green", bold=True)
    try:
        run_simple(host, port, app, use_reloader=False, threaded=True)
    finally:
        if worker is not None:
            worker.stop(graceful=True)  # the jobs at hand finish; the rest wait in the queue
        if standin is not None:
            standin.stop()
