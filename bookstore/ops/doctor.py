"""``flask doctor``: is this configuration fit for a production shop? Says what is missing.

Each check is *needed* (the command exits 1 while it fails) or *advised* (a warning only).
It reads the app's settings as ``create_app`` built them from the environment, and tries the
database and Redis with short timeouts.
"""

import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import click
import redis
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import text

from bookstore.extensions import db


@dataclass(frozen=True)
class Finding:
    """One check's outcome: ``ok``, or what is missing and how to fix it."""

    name: str
    ok: bool
    needed: bool
    message: str


def diagnose(app: Flask) -> list[Finding]:
    """Run every check against ``app``'s configuration."""
    config = app.config
    findings = [
        _secret_key(app),
        _check(
            "HTTPS cookies",
            bool(config.get("SESSION_COOKIE_SECURE")),
            "SESSION_COOKIE_SECURE=true is not set: session cookies could travel over HTTP",
        ),
        _check(
            "proxy headers",
            int(config.get("TRUST_PROXY_HEADERS") or 0) > 0,
            "TRUST_PROXY_HEADERS is 0: behind a load balancer the shop sees the balancer's "
            "address (rate limits, logs) and plain HTTP; set it to the number of proxies",
            needed=False,
        ),
        *_stripe(config),
        _check(
            "mail server",
            bool(config.get("MAIL_SERVER")),
            "MAIL_SERVER is not set: email is written to files in the instance folder, not sent",
        ),
        _redis(config.get("REDIS_URL")),
        _base_url(config.get("SHOP_BASE_URL")),
        _database(),
    ]
    return findings


def _check(name: str, ok: bool, problem: str, needed: bool = True) -> Finding:
    return Finding(name, ok, needed, "ok" if ok else problem)


def _secret_key(app: Flask) -> Finding:
    key = app.config.get("SECRET_KEY") or ""
    generated = Path(app.instance_path, "secret_key")
    if generated.exists() and secrets.compare_digest(generated.read_text().strip(), key):
        return _check(
            "secret key",
            False,
            "SECRET_KEY is not set: a key generated into instance/secret_key is in use, so "
            "each host would sign with a different key; set the same SECRET_KEY everywhere",
        )
    return _check("secret key", len(key) >= 32, "SECRET_KEY is shorter than 32 characters")


def _stripe(config) -> list[Finding]:
    secret = config.get("STRIPE_SECRET_KEY") or ""
    return [
        _check(
            "Stripe secret key",
            secret.startswith(("sk_test_", "rk_test_")),
            "STRIPE_SECRET_KEY is not set: payments go to the built-in stand-in, no real "
            "Stripe checkout"
            if not secret
            else "STRIPE_SECRET_KEY does not look like a Stripe test key (sk_test_...)",
        ),
        _check(
            "Stripe publishable key",
            (config.get("STRIPE_PUBLISHABLE_KEY") or "").startswith("pk_test_"),
            "STRIPE_PUBLISHABLE_KEY (pk_test_...) is not set",
            needed=False,
        ),
        _check(
            "Stripe webhook secret",
            (config.get("STRIPE_WEBHOOK_SECRET") or "").startswith("whsec_"),
            "STRIPE_WEBHOOK_SECRET (whsec_...) is not set: every Stripe webhook is refused, "
            "so payments are only seen when the shopper comes back",
        ),
    ]


def _redis(url: str | None) -> Finding:
    if not url:
        return _check(
            "Redis",
            False,
            "REDIS_URL is not set: rate limits and the page cache are per worker, so several "
            "workers or hosts do not share them",
        )
    try:
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError) as exc:
        return _check("Redis", False, f"REDIS_URL does not answer: {type(exc).__name__}")
    return _check("Redis", True, "")


def _base_url(url: str | None) -> Finding:
    if not url:
        return _check(
            "SHOP_BASE_URL",
            False,
            "SHOP_BASE_URL is not set: links in emails sent from the command line point "
            "to http://127.0.0.1:5000",
        )
    parts = urlsplit(url)
    return _check(
        "SHOP_BASE_URL",
        parts.scheme == "https" and bool(parts.netloc),
        f"SHOP_BASE_URL {url!r} is not an https:// address",
    )


def _database() -> Finding:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            dialect = conn.dialect.name
    except Exception as exc:  # noqa: BLE001  (any failure: report its kind)
        return _check("database", False, f"the database does not answer: {type(exc).__name__}")
    return _check(
        "database",
        dialect == "postgresql",
        "the database is SQLite: fine for one host, but several hosts need PostgreSQL "
        "(DATABASE_URL)",
        needed=False,
    )


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check the configuration a production shop needs, and say what is missing."""
    findings = diagnose(current_app._get_current_object())  # type: ignore[attr-defined]
    for finding in findings:
        if finding.ok:
            mark = click.style("ok     ", fg="green")
        elif finding.needed:
            mark = click.style("MISSING", fg="red", bold=True)
        else:
            mark = click.style("advice ", fg="yellow")
        click.echo(f"{mark} {finding.name}: {finding.message}")
    missing = [f for f in findings if f.needed and not f.ok]
    if missing:
        click.echo(f"\n{len(missing)} needed setting(s) missing: not ready for production.")
        raise SystemExit(1)
    click.echo("\nReady for production.")
