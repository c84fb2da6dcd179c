"""Absolute links and the hosts the shop answers to, from ``SHOP_BASE_URL`` alone.

A link that leaves the page (an email, the Atom feed, the sitemap, a canonical link, JSON-LD,
Stripe's return URLs) is built from the shop's configured address, never from the request's
``Host`` or ``X-Forwarded-Host``: otherwise anyone could ask for a password reset with
``Host: evil.example`` and have the victim emailed a link to their own server. The same address
decides ``TRUSTED_HOSTS``, so a request naming another host is refused with 400.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import Flask, current_app

# Without SHOP_BASE_URL, in development and tests only (create_app refuses elsewhere).
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"
TESTING_BASE_URL = "http://localhost"
# A development server answers to every name of the loopback interface.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class BaseUrlError(RuntimeError):
    """SHOP_BASE_URL is missing or is not an http(s) address."""


def parse_base_url(base: str) -> tuple[str, str, str]:
    """(scheme, host[:port], path) of a base URL; raises ``BaseUrlError`` when unusable."""
    parts = urlsplit(base.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BaseUrlError(f"SHOP_BASE_URL must be an http(s) address, not {base!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise BaseUrlError(f"SHOP_BASE_URL must be a plain address, not {base!r}")
    return parts.scheme, parts.netloc.lower(), parts.path.rstrip("/")


def configure(app: Flask, *, development: bool) -> None:
    """Check SHOP_BASE_URL (defaulting it in development) and set ``TRUSTED_HOSTS`` from it."""
    base = (app.config.get("SHOP_BASE_URL") or "").strip()
    if not base:
        if not development:
            raise BaseUrlError(
                "SHOP_BASE_URL is required, e.g. SHOP_BASE_URL=https://books.example.com: "
                "every link in emails, feeds and pages is built from it. In development set "
                "SHOP_DEVELOPMENT=1 (make run does) to use " + DEVELOPMENT_BASE_URL
            )
        base = TESTING_BASE_URL if app.testing else DEVELOPMENT_BASE_URL
        extra_loopback = True
    else:
        extra_loopback = False
    parse_base_url(base)
    app.config["SHOP_BASE_URL"] = base.rstrip("/")
    # `flask serve` replaces a defaulted address with the one it serves on.
    app.config["SHOP_BASE_URL_DEFAULTED"] = extra_loopback
    # Tests talk to "localhost" whatever address they give the shop.
    app.config["TRUSTED_HOSTS"] = trusted_hosts(
        base, app.config.get("TRUSTED_HOSTS"), loopback=extra_loopback or app.testing
    )


def trusted_hosts(base: str, extra, *, loopback: bool = False) -> list[str]:
    """The host of ``base``, then the extra hosts (a list or a comma-separated string)."""
    hosts = [urlsplit(base).hostname or ""]
    if isinstance(extra, str):
        extra = extra.split(",")
    hosts += [h.strip().lower() for h in extra or () if h and h.strip()]
    if loopback:
        hosts += LOOPBACK_HOSTS
    return list(dict.fromkeys(h for h in hosts if h))


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` on the shop's configured address (``SHOP_BASE_URL``).

    Works with or without a request; the request's host and scheme are never used.
    """
    app = current_app
    scheme, netloc, path = parse_base_url(app.config["SHOP_BASE_URL"])
    anchor = values.pop("_anchor", None)
    values.pop("_external", None)
    values.pop("_scheme", None)
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind(netloc, script_name=path or "/", url_scheme=scheme)
    url = adapter.build(endpoint, values, force_external=True)
    if anchor is not None:
        url += "#" + quote(anchor, safe="%!#$&'()*+,/:;=?@")
    return url


# Load balancers and monitors probe these by IP address: they answer whatever Host is named.
PROBE_PATHS = frozenset({"/healthz", "/metrics"})


class ProbesAnswerAnyHost:
    """WSGI middleware: a health or metrics probe is served as if sent to the shop's own host.

    Nothing on those answers links anywhere, and refusing a probe for its Host would take every
    host out of the balancer. Outermost, so no proxy header can put another host back.
    """

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.host = parse_base_url(app.config["SHOP_BASE_URL"])[1]

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in PROBE_PATHS:
            environ["HTTP_HOST"] = self.host
            environ.pop("HTTP_X_FORWARDED_HOST", None)
        return self.wsgi_app(environ, start_response)


def base_url() -> str:
    """The shop's address without a trailing slash (for links to static files)."""
    return current_app.config["SHOP_BASE_URL"]
