"""Webhook delivery: signed like Stripe, POSTed from a background thread, retried with backoff.

Each attempt is signed afresh: ``Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of
"<t>.<body>" keyed by the whsec_ secret>``, so ``stripe.Webhook.construct_event`` verifies it.
A 2xx answer ends the delivery; anything else (an error status, a redirect, a refused
connection, a timeout) schedules the next attempt ``retry_base * 2**n`` seconds later (at most
``retry_cap``), up to ``max_attempts``. Pending deliveries survive a restart.
"""

import hashlib
import hmac
import http.client
import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from bookstore.stripe_sandbox.core import Sandbox

Target = str | Callable[[bytes, dict[str, str]], int] | None
LOG_LIMIT = 1000
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``, exactly as Stripe computes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST without following redirects (Stripe counts a 3xx as a failed delivery)."""
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        connection.close()


class WebhookDispatcher:
    """Delivers queued events to ``target`` (a URL or a callable) from one daemon thread."""

    def __init__(
        self,
        sandbox: "Sandbox",
        *,
        target: Target,
        retry_base: float,
        retry_cap: float,
        max_attempts: int,
        timeout: float,
    ):
        self.sandbox = sandbox
        self.target: Target = target
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.max_attempts = max_attempts
        self.timeout = timeout
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        deliveries = sandbox.store.collection("deliveries")
        # event id -> when its next attempt is due (time.time()); rebuilt after a restart.
        self._pending: dict[str, float] = {
            event_id: record["next_at"]
            for event_id, record in deliveries.items()
            if record["state"] == "pending"
        }

    def start(self) -> None:
        """Start the delivery thread."""
        if self._thread is None:
            self._stop = False
            self._thread = threading.Thread(
                target=self._run, name="stripe-sandbox-webhooks", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the delivery thread (pending deliveries stay queued in the state file)."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 5)
            self._thread = None

    def set_target(self, target: Target) -> None:
        """Point deliveries at another URL or callable (None: events are recorded, not sent)."""
        with self._cond:
            self.target = target
            self._cond.notify_all()

    def enqueue(self, event_id: str) -> None:
        """Queue a (new or repeated) delivery of an event, due now."""
        if not self.target:
            return
        due = time.time()
        with self.sandbox.lock:
            self.sandbox.store.put(
                "deliveries", {"id": event_id, "state": "pending", "attempts": 0, "next_at": due}
            )
            event = self.sandbox.store.get("events", event_id)
            if event is not None:
                event["pending_webhooks"] = 1
        with self._cond:
            self._pending[event_id] = due
            self._cond.notify_all()

    def pending(self) -> list[str]:
        """Event ids still waiting for a successful delivery."""
        with self._cond:
            return list(self._pending)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery succeeded or gave up; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending and self.target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stop:
                    return
                due = min(self._pending.items(), key=lambda item: item[1], default=None)
                wait = None if due is None or not self.target else due[1] - time.time()
                if wait is None or wait > 0:
                    self._cond.wait(1.0 if wait is None else min(wait, 1.0))
                    continue
            assert due is not None  # wait is None without one  # noqa: S101
            self._attempt(due[0])

    def _attempt(self, event_id: str) -> None:
        store = self.sandbox.store
        with self.sandbox.lock:
            event = store.get("events", event_id)
            record = store.require("deliveries", event_id)
            target = self.target
            if event is None or record is None or target is None:
                with self._cond:
                    self._pending.pop(event_id, None)
                    self._cond.notify_all()
                return
            payload = json.dumps(event, indent=2)
            secret = self.sandbox.webhook_secret
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(payload, secret),
            "User-Agent": USER_AGENT,
            "Accept": "*/*; q=0.5, application/xml",
            "Cache-Control": "no-cache",
        }
        status: int | None = None
        error: str | None = None
        try:
            if callable(target):
                status = int(target(payload.encode(), headers))
            else:
                status = post(target, payload.encode(), headers, self.timeout)
        except Exception as exc:  # noqa: BLE001  (an unreachable app is a failed attempt)
            error = f"{exc.__class__.__name__}: {exc}"
        self._record(event_id, event["type"], target, status, error)

    def _record(
        self, event_id: str, event_type: str, target: Target, status: int | None, error: str | None
    ) -> None:
        store = self.sandbox.store
        with self.sandbox.lock:
            record = store.require("deliveries", event_id)
            record["attempts"] += 1
            ok = status is not None and 200 <= status < 300
            log = store.data["webhook_log"]
            log.append(
                {
                    "event_id": event_id,
                    "type": event_type,
                    "attempt": record["attempts"],
                    "status": status,
                    "error": error,
                    "ok": ok,
                    "at": time.time(),
                    "url": target
                    if isinstance(target, str)
                    else getattr(target, "__name__", "callable"),
                }
            )
            del log[:-LOG_LIMIT]
            if ok or record["attempts"] >= self.max_attempts:
                record["state"] = "delivered" if ok else "failed"
                store.require("events", event_id)["pending_webhooks"] = 0
                next_at = None
            else:
                delay = min(self.retry_cap, self.retry_base * 2 ** (record["attempts"] - 1))
                next_at = record["next_at"] = time.time() + delay
            store.changed()
        with self._cond:
            if next_at is None:
                self._pending.pop(event_id, None)
            else:
                self._pending[event_id] = next_at
            self._cond.notify_all()

    def log(self) -> list[dict[str, Any]]:
        """Every delivery attempt, oldest first."""
        with self.sandbox.lock:
            return [dict(entry) for entry in self.sandbox.store.data["webhook_log"]]
