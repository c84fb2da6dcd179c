"""The Stripe client goes through the environment's proxy, read once when it is built (not on
every call), and straight to Stripe when ``NO_PROXY`` names Stripe's host."""

import http.server
import json
import threading

import pytest

from bookstore.checkout import gateway

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


class _Proxy(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self):
        type(self).seen.append(self.path)
        body = json.dumps({"id": "cs_test_proxy", "object": "checkout.session"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    server = http.server.HTTPServer(("127.0.0.1", 0), _Proxy)
    _Proxy.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Proxy.seen
    server.shutdown()
    server.server_close()


def _retrieve(api_base: str) -> str:
    client = gateway.build_client({"STRIPE_API_BASE": api_base, "STRIPE_TIMEOUT_SECONDS": 4})
    return client.v1.checkout.sessions.retrieve("cs_test_proxy").id


def test_calls_go_through_the_proxy_the_environment_named_when_the_client_was_built(
    proxy, monkeypatch
):
    address, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", address)
    client = gateway.build_client({"STRIPE_API_BASE": "http://stripe.invalid"})
    # Read once: a later change of the environment does not reach a client already built.
    monkeypatch.delenv("HTTP_PROXY")
    assert client.v1.checkout.sessions.retrieve("cs_test_proxy").id == "cs_test_proxy"
    assert seen == ["http://stripe.invalid/v1/checkout/sessions/cs_test_proxy"]


def test_no_proxy_for_stripes_host_means_calls_go_straight_to_it(proxy, monkeypatch):
    address, seen = proxy
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert _retrieve(address) == "cs_test_proxy"
    assert seen == ["/v1/checkout/sessions/cs_test_proxy"]
