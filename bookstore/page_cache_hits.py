"""A guest's page-cache hit served before Flask: the shop's most frequent request, made cheap.

A guest (no account, no cart, no flashed message: a session holding at most a CSRF token)
asking again for a page that the page cache (``bookstore.page_cache``) keeps gets the same
answer whatever the hooks say: so this WSGI middleware answers it from the cache directly,
without a request context, session object, URL matching or the before/after-request hooks.
It gives exactly what Flask would: the same body with the same per-visitor values, the same
headers (security headers, request id, ``Vary: Cookie``, a session cookie when it adds a CSRF
token) and the same metrics. ``tests/test_page_cache_hits.py`` compares the two.

It serves only what it can prove it may; anything else goes to Flask:
- only a raw URL Flask served from the cache to a guest before (``page_cache`` notes it,
  with its canonical page and endpoint), asked with GET of a trusted host;
- only within the second the page-cache generation is fresh for (Flask re-reads it);
- only pages whose every per-visitor value has a ``guest`` form.
Set ``PAGE_CACHE_GUEST_HITS = False`` to send every request through Flask.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from markupsafe import escape
from werkzeug.exceptions import SecurityError
from werkzeug.http import dump_cookie, parse_cookie
from werkzeug.wsgi import get_host

from bookstore import page_cache
from bookstore.ops import metrics
from bookstore.ops.requestid import HEADER as REQUEST_ID_HEADER
from bookstore.ops.requestid import acceptable_request_id, new_request_id
from bookstore.web import HSTS, SECURITY_HEADERS

# What Werkzeug's dump_cookie sends without quotes (a signed session is base64 and dots).
PLAIN_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_.\-]*")

if TYPE_CHECKING:
    from flask import Flask


class GuestHits:
    """WSGI middleware in front of Flask's ``wsgi_app`` (inside ProxyFix, which has already
    set the scheme and host it trusts)."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app
        config = app.config
        self.state = app.extensions["page_cache"]
        self.routes: dict = self.state["guest_routes"]
        self.trusted_hosts = config.get("TRUSTED_HOSTS")
        self.good_hosts: set[tuple] = set()
        self.trust_request_id = bool(config.get("TRUST_PROXY_HEADERS"))
        self.session_cookie = app.session_interface.get_cookie_name(app)
        self.remember_cookie = config.get("REMEMBER_COOKIE_NAME", "remember_token")
        self.csrf_field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        self.hits = page_cache.LOOKUPS.labels("hit")
        self.serializer = None
        self.cache = app.extensions["cache"][page_cache.cache]
        self.enabled = bool(config.get("PAGE_CACHE_GUEST_HITS", True))
        # Secure or not -> the session cookie's header before and after its value.
        self.cookie_parts: dict[bool, tuple[str, str]] = {}

    def __call__(self, environ, start_response):
        if not self.enabled or environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        route = self.routes.get(
            (
                environ.get("SCRIPT_NAME", ""),
                environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""),
            )
        )
        if route is None:
            return self.wsgi_app(environ, start_response)
        answer = self._answer(environ, route)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        body, headers = answer
        start_response("200 OK", headers)
        self.hits.inc()
        metrics.count_request(route[1], "GET", "200", time.perf_counter() - started)
        return [body]

    def _answer(self, environ, route) -> tuple[bytes, list[tuple[str, str]]] | None:
        """The body and headers Flask would give this guest, or None to let Flask answer."""
        session = self._guest_session(environ)
        if session is None:
            return None
        if self.trusted_hosts is not None and not self._trusted_host(environ):
            return None
        known = self.state.get("generation")
        if known is None or time.monotonic() - known[1] >= page_cache.GENERATION_RECHECK_SECONDS:
            return None  # Flask reads the generation again
        key = page_cache.page_key(self.app, known[0], "anonymous", route[0])
        try:
            hit = page_cache._cache_call_on(self.app, self.cache, "get", key)
        except Exception:  # noqa: BLE001  (Flask's own path reports whatever this was)
            return None
        if hit is None or len(hit) != 3 or not page_cache._stock_unchanged(hit[2], self.app):
            return None
        body, stored_headers, _stock = hit
        had_token = isinstance(session.get(self.csrf_field), str)
        values: dict[bytes, bytes | None] = {}

        def guest_value(name: bytes) -> bytes | None:
            if name not in values:
                guest = page_cache.guest_fillers().get(name.decode())
                values[name] = (
                    None if guest is None else str(escape(guest(self.app, session))).encode()
                )
            return values[name]

        # Visitor parts (page_cache.visitor_part), and values without a guest form, are
        # Flask's to fill in.
        body = page_cache.fill_placeholders(body, self.state["mark"], guest_value, None)
        if body is None:
            return None
        named = {name.lower() for name, _value in stored_headers}
        if "vary" in named or "set-cookie" in named:
            return None  # Flask would merge into these: let it
        headers = list(stored_headers)
        headers.append(("Content-Length", str(len(body))))
        headers.append(("X-Page-Cache", "hit"))
        headers += [item for item in SECURITY_HEADERS if item[0].lower() not in named]
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(HSTS)
        headers.append((REQUEST_ID_HEADER, self._request_id(environ)))
        headers.append(("Vary", "Cookie"))
        if not had_token and isinstance(session.get(self.csrf_field), str):
            headers.append(("Set-Cookie", self._session_cookie(environ, session)))
        self.state["index"].used(key)
        return body, headers

    def _trusted_host(self, environ) -> bool:
        """Is the host asked one of TRUSTED_HOSTS (as Flask checks it)? Trusted ones are kept."""
        asked = (
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
            environ.get("wsgi.url_scheme"),
        )
        if asked in self.good_hosts:
            return True
        try:
            get_host(environ, self.trusted_hosts)
        except SecurityError:
            return False
        if len(self.good_hosts) < 100:  # a shop has a few names
            self.good_hosts.add(asked)
        return True

    def _serializer(self):
        if self.serializer is None:
            interface = self.app.session_interface
            self.serializer = interface.get_signing_serializer(self.app)  # type: ignore[attr-defined]
        return self.serializer

    def _guest_session(self, environ) -> dict | None:
        """The session of a guest whose hits this serves ({} without one), else None."""
        raw = environ.get("HTTP_COOKIE")
        if not raw:
            return {}
        cookies = parse_cookie(raw)
        if self.remember_cookie in cookies:
            return None
        value = cookies.get(self.session_cookie)
        if not value:
            return {}
        if self._serializer() is None:
            return None
        # Checked as Flask's session interface checks it (and remembered there for Flask).
        data = self.app.session_interface.load_cookie(self.app, value)  # type: ignore[attr-defined]
        if data is None:
            return None  # Flask starts a new session
        return data if page_cache.is_plain_guest_session(data, self.csrf_field) else None

    def _request_id(self, environ) -> str:
        incoming = environ.get("HTTP_X_REQUEST_ID", "") if self.trust_request_id else ""
        return incoming if acceptable_request_id(incoming) else new_request_id()

    def _session_cookie(self, environ, session: dict) -> str:
        """The Set-Cookie Flask's session interface writes for this new, non-permanent session."""
        app = self.app
        interface = app.session_interface
        serializer = self._serializer()
        # Flask's JSON provider sorts keys; outside an app context the stdlib keeps order.
        value = serializer.dumps({key: session[key] for key in sorted(session)})
        secure = interface.get_cookie_secure(app) or environ.get("wsgi.url_scheme") == "https"
        # Werkzeug's header is the name, the value and attributes that depend only on the
        # settings: they are kept (a signed value never needs quoting, which would change it).
        kept = self.cookie_parts.get(secure)
        if kept is None:
            empty = self._dump_cookie("", secure)  # "<name>=; <attributes>"
            name_end = empty.index("=") + 1
            kept = self.cookie_parts[secure] = (empty[:name_end], empty[name_end:])
        cookie = f"{kept[0]}{value}{kept[1]}"
        if not PLAIN_COOKIE_VALUE.fullmatch(value) or len(cookie) > app.config["MAX_COOKIE_SIZE"]:
            return self._dump_cookie(value, secure)  # quoted, or too large: Werkzeug's warning
        return cookie

    def _dump_cookie(self, value: str, secure: bool) -> str:
        app = self.app
        interface = app.session_interface
        return dump_cookie(
            interface.get_cookie_name(app),
            value,
            expires=None,
            path=interface.get_cookie_path(app),
            domain=interface.get_cookie_domain(app),
            secure=secure,
            httponly=interface.get_cookie_httponly(app),
            samesite=interface.get_cookie_samesite(app),
            partitioned=interface.get_cookie_partitioned(app),
            max_size=app.config["MAX_COOKIE_SIZE"],
        )


def init_app(app: Flask) -> None:
    """Put the guest-hit path in front of Flask's own (call before any other middleware)."""
    app.wsgi_app = GuestHits(app.wsgi_app, app)  # type: ignore[method-assign]
