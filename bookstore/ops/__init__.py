"""Operations: request ids and logs, Sentry, the health check, metrics and ``flask doctor``.

``init_app`` runs early in ``create_app`` so the request id exists before any other hook logs.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire request ids, logging, Sentry, ``/healthz`` and ``/metrics`` into the app."""
    from bookstore.ops import health, logs, metrics, requestid, sentry

    logs.configure(app.config.get("LOG_FORMAT", "text"), app.config.get("LOG_LEVEL", "INFO"))
    requestid.init_app(app)
    sentry.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
