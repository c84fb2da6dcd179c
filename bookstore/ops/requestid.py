"""A request id on every response (``X-Request-ID``) and every log line of the request.

The id comes from the incoming ``X-Request-ID`` only when proxy headers are trusted
(``TRUST_PROXY_HEADERS``): otherwise any client could choose what our logs say. A received id
must look like an id (letters, digits and ``.-_:``, at most 128 characters) or a new one is made.
"""

import os
import re

from flask import Flask, has_request_context, request
from flask.wrappers import Response

from bookstore import contexts

HEADER = "X-Request-ID"
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def init_app(app: Flask) -> None:
    """Give each request an id before any other hook runs, and echo it on the response."""
    trusted = bool(app.config.get("TRUST_PROXY_HEADERS"))

    def assign() -> None:
        incoming = request.headers.get(HEADER, "") if trusted else ""
        contexts.app_globals().request_id = (
            incoming if acceptable_request_id(incoming) else new_request_id()
        )

    def echo(response: Response) -> Response:
        response.headers[HEADER] = current_request_id() or ""
        return response

    # First in line: the before-request hooks registered later may already log.
    app.before_request_funcs.setdefault(None, []).insert(0, assign)
    app.after_request(echo)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    if not has_request_context():
        return None
    request_id: str | None = contexts.app_globals().get("request_id")
    return request_id


def new_request_id() -> str:
    """A new id: what ``uuid.uuid4().hex`` gives (random, version 4), without building the
    ``UUID`` object that costs five times the random bytes."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw.hex()


def acceptable_request_id(incoming: str) -> bool:
    """Does a received ``X-Request-ID`` look like an id (else a new one is made)?"""
    return _ACCEPTABLE.fullmatch(incoming) is not None
