"""``flask stripe-sandbox``: run the Stripe stand-in in the foreground."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bookstore.stripe_sandbox.server import SandboxServer, check_host, default_state_path


@click.command("stripe-sandbox")
@click.option("--port", default=12111, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Loopback address to listen on (never all interfaces).",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    help="JSON file keeping the state across restarts [default: instance/stripe-sandbox.json].",
)
@click.option(
    "--webhook-url", help="Where events are POSTed, e.g. http://127.0.0.1:5000/stripe/webhook."
)
@click.option(
    "--webhook-secret",
    help="whsec_... secret that signs the events [default: STRIPE_WEBHOOK_SECRET, "
    "else the one kept in the state file, else a new one].",
)
@with_appcontext
def stripe_sandbox_command(
    port: int,
    host: str,
    state_path: str | None,
    webhook_url: str | None,
    webhook_secret: str | None,
) -> None:
    """Run the Stripe stand-in: Stripe's API subset, a hosted pay page and signed webhooks."""
    try:
        check_host(host)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--host") from None
    if webhook_secret and not webhook_secret.startswith("whsec_"):
        raise click.BadParameter("must start with whsec_", param_hint="--webhook-secret")
    state = state_path or default_state_path(current_app.instance_path)
    Path(state).parent.mkdir(parents=True, exist_ok=True)
    server = SandboxServer(
        host,
        port,
        quiet=False,
        state_path=state,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret or current_app.config.get("STRIPE_WEBHOOK_SECRET"),
    )
    click.secho(f"\n  Stripe test stand-in (no money moves) on {server.url}", fg="green", bold=True)
    click.echo(f"  State file:      {state}")
    click.echo(f"  Webhooks go to:  {webhook_url or 'nowhere (no --webhook-url)'}")
    click.echo(f"  Webhook secret:  {server.sandbox.webhook_secret}")
    click.echo(f"  Dashboard:       {server.url}/_sandbox/")
    click.echo("\n  Point the shop at it with:")
    click.echo(
        f"    STRIPE_API_BASE={server.url} STRIPE_WEBHOOK_SECRET={server.sandbox.webhook_secret}\n"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
