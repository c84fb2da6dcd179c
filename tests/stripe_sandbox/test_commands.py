"""``flask stripe-sandbox`` and the stand-in that ``flask serve`` (``make run``) starts."""

import pytest
import stripe

from bookstore import create_app
from bookstore.serve import start_standin
from bookstore.stripe_sandbox.server import SandboxServer, check_host
from tests.fixtures.database import app_config
from tests.fixtures.stripe import http_request


@pytest.fixture
def app(tmp_path):
    """The shop app without a database: these commands never touch one."""
    return create_app(app_config(f"sqlite:///{tmp_path}/unused.db", {}, tmp_path / "instance"))


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_command_refuses_to_listen_on_all_interfaces(runner):
    result = runner.invoke(args=["stripe-sandbox", "--host", "0.0.0.0", "--port", "0"])  # noqa: S104

    assert result.exit_code != 0
    assert "never listens on all interfaces" in result.output


def test_command_refuses_a_secret_that_is_not_a_webhook_secret(runner):
    result = runner.invoke(args=["stripe-sandbox", "--webhook-secret", "hunter2"])

    assert result.exit_code != 0
    assert "whsec_" in result.output


def test_command_is_listed_in_flask_help(runner):
    result = runner.invoke(args=["--help"])

    assert "stripe-sandbox" in result.output


def test_loopback_addresses_are_allowed():
    for host in ("127.0.0.1", "::1", "localhost"):
        check_host(host)


def test_serve_starts_the_standin_and_points_the_shop_at_it(app):
    server = start_standin(app, "127.0.0.1", 5000, standin_port=0)
    try:
        assert app.config["STRIPE_API_BASE"] == server.url
        assert app.config["STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
        assert app.config["STRIPE_WEBHOOK_SECRET"] == server.sandbox.webhook_secret
        assert server.sandbox.webhooks.target == "http://127.0.0.1:5000/stripe/webhook"
        client = stripe.StripeClient(
            "sk_test_standin", base_addresses={"api": server.url}, max_network_retries=0
        )
        assert client.v1.events.list().data == []
        assert http_request(f"{server.url}/_sandbox/").status == 200
    finally:
        server.stop()


def test_serve_keeps_a_configured_webhook_secret_and_its_state_file(app):
    app.config["STRIPE_WEBHOOK_SECRET"] = "whsec_from_env"

    server = start_standin(app, "0.0.0.0", 8000, standin_port=0)  # noqa: S104
    server.stop()

    assert app.config["STRIPE_WEBHOOK_SECRET"] == "whsec_from_env"
    assert server.sandbox.webhooks.target == "http://127.0.0.1:8000/stripe/webhook"
    assert (server.sandbox.store.path.name, server.sandbox.store.path.exists()) == (
        "stripe-sandbox.json",
        True,
    )


def test_busy_port_falls_back_to_a_free_one(app):
    busy = SandboxServer("127.0.0.1", 0).start()
    try:
        server = start_standin(app, "127.0.0.1", 5000, standin_port=busy.port)
        server.stop()
        assert server.port != busy.port
    finally:
        busy.stop()
