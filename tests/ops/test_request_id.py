"""A request id on every response and in every log line of the request; JSON logs on demand."""

import io
import json
import logging

import pytest
from flask import current_app

from bookstore.ops import logs
from bookstore.ops.requestid import HEADER


@pytest.fixture
def database(sqlite_database):
    """Request ids do not depend on the database: SQLite only."""
    return sqlite_database


def shop_log() -> io.StringIO:
    """Catch what the shop's log handler (installed by the latest app) writes from now on."""
    root = logging.getLogger()
    handler = next(h for h in root.handlers if getattr(h, logs._HANDLER_MARK, False))
    stream = io.StringIO()
    handler.setStream(stream)
    return stream


def add_logging_route(app):
    @app.get("/_test/log")
    def log_something():
        current_app.logger.warning("something worth a look")
        return "logged"


def test_every_response_gets_a_fresh_request_id(client):
    first = client.get("/").headers[HEADER]
    second = client.get("/no/such/page").headers[HEADER]
    assert len(first) == 32
    assert first != second


def test_an_incoming_id_is_ignored_unless_proxy_headers_are_trusted(client):
    response = client.get("/", headers={HEADER: "from-the-client"})
    assert response.headers[HEADER] != "from-the-client"


def test_a_trusted_proxy_passes_its_request_id_through(make_app):
    client = make_app(TRUST_PROXY_HEADERS=1).test_client()
    response = client.get("/", headers={HEADER: "lb-7f3a.91"})
    assert response.headers[HEADER] == "lb-7f3a.91"


def test_a_malformed_incoming_id_is_replaced(make_app):
    client = make_app(TRUST_PROXY_HEADERS=1).test_client()
    response = client.get("/", headers={HEADER: "evil\u2028id with spaces"})
    assert response.headers[HEADER] != "evil\u2028id with spaces"
    assert len(response.headers[HEADER]) == 32


def test_log_lines_carry_the_request_id(app):
    add_logging_route(app)
    log_stream = shop_log()
    response = app.test_client().get("/_test/log")
    request_id = response.headers[HEADER]
    line = next(x for x in log_stream.getvalue().splitlines() if "something worth a look" in x)
    assert f"[{request_id}]" in line
    assert "WARNING" in line


def test_log_records_outside_a_request_say_so(app, caplog):
    with app.app_context():
        current_app.logger.warning("from the command line")
    assert caplog.records[-1].request_id == "-"


def test_json_logs_hold_the_request_id(make_app):
    app = make_app(LOG_FORMAT="json")
    add_logging_route(app)
    log_stream = shop_log()
    response = app.test_client().get("/_test/log")
    lines = [json.loads(x) for x in log_stream.getvalue().splitlines()]
    entry = next(x for x in lines if x["message"] == "something worth a look")
    assert entry["request_id"] == response.headers[HEADER]
    assert entry["level"] == "WARNING"
    assert entry["logger"] == app.logger.name


def test_an_unknown_log_format_stops_the_app(make_app):
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        make_app(LOG_FORMAT="xml")
