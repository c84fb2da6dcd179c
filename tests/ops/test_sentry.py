"""Errors reach Sentry when SENTRY_DSN is set: a real SDK sending to a fake Sentry on loopback."""

import gzip
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk

from bookstore.ops.requestid import HEADER
from bookstore.ops.version import app_version


@pytest.fixture
def database(sqlite_database):
    """Error reporting does not depend on the database: SQLite only."""
    return sqlite_database


@pytest.fixture
def fake_sentry():
    """A loopback HTTP server that records every envelope the SDK posts; yields (dsn, items)."""
    items: list[dict] = []

    class Ingest(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            assert encoding in {"", "gzip", "deflate"}, encoding
            # An envelope: a header line, then (item header, item payload) line pairs.
            lines = body.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    items.append({"path": self.path, "event": json.loads(payload)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://public-key@127.0.0.1:{server.server_port}/42", items
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: the SDK is off again for the tests that follow
    server.shutdown()
    server.server_close()


def test_without_a_dsn_the_sdk_stays_off(app):
    assert not sentry_sdk.get_client().is_active()


def test_an_unhandled_error_reaches_sentry_with_the_request_id(make_app, fake_sentry):
    dsn, received = fake_sentry
    app = make_app(SENTRY_DSN=dsn, PROPAGATE_EXCEPTIONS=False)

    @app.get("/_test/boom")
    def boom():
        raise ZeroDivisionError("the shop divided by zero")

    response = app.test_client().get("/_test/boom")
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)

    assert received, "no event reached the fake Sentry"
    assert all(item["path"] == "/api/42/envelope/" for item in received)
    event = received[-1]["event"]
    exception = event["exception"]["values"][-1]
    assert exception["type"] == "ZeroDivisionError"
    assert exception["value"] == "the shop divided by zero"
    assert event["tags"]["request_id"] == response.headers[HEADER]
    assert event["release"] == f"bookstore@{app_version()}"
    # No personal data: no cookies, no client address.
    assert "cookies" not in event.get("request", {})
    assert "ip_address" not in event.get("user", {})
