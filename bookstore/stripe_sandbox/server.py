"""Run the stand-in on a loopback port in a background thread (``make run``, tests) or in front."""

import ipaddress
import os
import socket
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bookstore.stripe_sandbox.app import create_sandbox_app
from bookstore.stripe_sandbox.core import Sandbox


class QuietHandler(WSGIRequestHandler):
    """A request handler that does not log every request (the shop's console stays readable)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return


def check_host(host: str) -> None:
    """Refuse to listen on every interface: the stand-in takes any sk_test_ key and has no auth
    on its pay page and sandbox routes."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise ValueError(
                f"Give the stand-in an IP address to listen on, not {host!r}."
            ) from None
        return
    if address.is_unspecified:
        raise ValueError(
            f"The Stripe stand-in never listens on all interfaces ({host}); use 127.0.0.1."
        )


def port_is_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class SandboxServer:
    """The stand-in served by werkzeug from a daemon thread.

    ``port=0`` picks a free port; ``url`` is known after ``start()``. Keyword arguments go to
    ``Sandbox`` (state file, webhook URL and secret, retry timings).
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True, **sandbox_options: Any
    ):
        check_host(host)
        self.host = host
        self.port = port
        self.quiet = quiet
        self.sandbox_options = sandbox_options
        self.sandbox = Sandbox(**sandbox_options)
        self.app = create_sandbox_app(self.sandbox, allowed_hosts={host})
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base address, e.g. ``http://127.0.0.1:12111`` (what ``STRIPE_API_BASE`` takes)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _make(self) -> BaseWSGIServer:
        server = make_server(
            self.host,
            self.port,
            self.app,
            threaded=True,
            request_handler=QuietHandler if self.quiet else None,
        )
        self.port = server.port
        self._server = server
        self.sandbox.start()
        return server

    def start(self) -> "SandboxServer":
        """Serve from a background thread; returns once the port is bound."""
        server = self._make()
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="stripe-sandbox-http", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the ``flask stripe-sandbox`` command)."""
        server = self._make()
        try:
            server.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving and the stand-in's threads; the state file is written."""
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        if self._server is not None:
            self._server.server_close()
            self._server = None
        self._thread = None
        self.sandbox.stop()


def default_state_path(instance_path: str) -> str:
    """``instance/stripe-sandbox.json``."""
    return os.path.join(instance_path, "stripe-sandbox.json")
