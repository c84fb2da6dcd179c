"""Errors to Sentry when ``SENTRY_DSN`` is set (sentry-sdk with its Flask integration).

The shop's 500 handler logs the exception; the SDK's logging integration turns that log line into
a Sentry event, and each event carries the request id, so a report and the logs meet.
"""

import sentry_sdk
from flask import Flask, g
from sentry_sdk.integrations.flask import FlaskIntegration

from bookstore.ops.version import app_version


def init_app(app: Flask) -> None:
    """Start the SDK once per process when a DSN is configured; tag events with the request id."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    client = sentry_sdk.get_client()
    if not (client.is_active() and client.dsn == dsn):
        sentry_sdk.init(
            dsn=dsn,
            integrations=[FlaskIntegration()],
            release=f"bookstore@{app_version()}",
            environment=app.config.get("SENTRY_ENVIRONMENT") or "production",
            # Errors only. The SDK's default sends no personal data (cookies, IP addresses).
            traces_sample_rate=0.0,
        )

    @app.before_request
    def tag_request_id() -> None:
        sentry_sdk.set_tag("request_id", g.get("request_id"))
