"""The stand-in as a small Flask app of its own (never registered in the shop app)."""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from bookstore.stripe_sandbox.api import bp as api_bp
from bookstore.stripe_sandbox.api import json_response
from bookstore.stripe_sandbox.core import Sandbox
from bookstore.stripe_sandbox.errors import StripeError, unrecognized_url
from bookstore.stripe_sandbox.pages import bp as pages_bp
from bookstore.stripe_sandbox.store import new_id

HERE = Path(__file__).resolve().parent
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def create_sandbox_app(sandbox: Sandbox, allowed_hosts: set[str] | None = None) -> Flask:
    """A WSGI app serving ``sandbox``: the ``/v1`` API, the pay page and ``/_sandbox`` routes.

    Requests must name a loopback host (or one of ``allowed_hosts``), which defeats DNS
    rebinding; browser POSTs to the pages must come from the stand-in's own pages.
    """
    app = Flask(
        "bookstore.stripe_sandbox",
        root_path=str(HERE),
        template_folder=str(HERE / "templates"),
        static_folder=str(HERE / "static"),
        static_url_path="/_sandbox/static",
    )
    app.config.update(MAX_CONTENT_LENGTH=1024 * 1024, JSON_SORT_KEYS=False)
    app.extensions["stripe_sandbox"] = sandbox
    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    hosts = LOOPBACK_NAMES | (allowed_hosts or set())

    @app.before_request
    def refuse_foreign_requests() -> Any:
        host = urlsplit(f"//{request.host}").hostname or ""
        if host not in hosts and not host.startswith("127."):
            return _refuse(f"Unknown host {host!r}: the stand-in answers on loopback only.")
        if request.method == "POST" and not request.path.startswith("/v1"):
            origin = request.headers.get("Origin")
            fetch_site = request.headers.get("Sec-Fetch-Site")
            own_origin = request.host_url.rstrip("/")
            if (origin and origin != own_origin) or fetch_site in {"cross-site", "same-site"}:
                return _refuse("This form can only be sent from the stand-in's own pages.")
        return None

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if request.path.startswith("/v1"):
            if exc.code in (404, 405):
                error = unrecognized_url(request.method, request.path)
            else:
                error = StripeError(exc.description or "Invalid request.", status=exc.code or 400)
            return json_response(error.status, error.body(), new_id("req_", 14))
        return render_template(
            "stripe_sandbox/message.html",
            title=exc.name,
            text=exc.description,
            link=None,
            link_text=None,
        ), exc.code

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # "same-origin", not "no-referrer": with no-referrer browsers send "Origin: null".
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


def _refuse(message: str) -> Any:
    if request.path.startswith("/v1"):
        error = StripeError(message, status=403)
        return json_response(403, error.body(), new_id("req_", 14))
    page = render_template(
        "stripe_sandbox/message.html", title="Refused", text=message, link=None, link_text=None
    )
    return page, 403
