"""The stand-in's engine: state, clock, events, expansion and list pages, webhook dispatch.

``Sandbox`` holds no HTTP code; ``create_sandbox_app`` wraps it in a small Flask app and
``SandboxServer`` runs that app on a loopback port.
"""

import copy
import os
import secrets
import threading
from typing import Any

from bookstore.stripe_sandbox.checkout import expire_overdue, line_items_page
from bookstore.stripe_sandbox.errors import StripeError, invalid_param, no_such
from bookstore.stripe_sandbox.params import as_int, as_str
from bookstore.stripe_sandbox.store import Store, new_id
from bookstore.stripe_sandbox.webhooks import WebhookDispatcher

try:  # the version the installed SDK expects, so its objects parse the events cleanly
    import stripe

    DEFAULT_API_VERSION = str(stripe.api_version)
except ImportError:  # pragma: no cover - stripe is a dependency of the shop
    DEFAULT_API_VERSION = "2026-10-28.endive"

# Which fields of each object type can be expanded, and the collection holding the target.
EXPANDABLE: dict[str, dict[str, str]] = {
    "checkout.session": {"payment_intent": "payment_intents", "line_items": "line_items"},
    "payment_intent": {"latest_charge": "charges"},
    "charge": {"payment_intent": "payment_intents"},
    "refund": {"charge": "charges", "payment_intent": "payment_intents"},
    "event": {},
}
EVENT_TYPES = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
)


class Sandbox:
    """A stateful stand-in for the part of Stripe the shop uses.

    ``state_path``: JSON file for the state (None keeps it in memory). ``webhook_url``: where
    events are POSTed (a URL, or a callable ``(body: bytes, headers: dict) -> status`` for
    tests). ``webhook_secret``: ``whsec_...`` used to sign them (kept in the state file; one is
    generated when none is given). Retries wait ``retry_base * 2**n`` seconds, at most
    ``retry_cap``, for up to ``max_attempts`` attempts. Open sessions past ``expires_at`` are
    expired whenever they are touched and by a sweeper every ``sweep_interval`` seconds.
    """

    def __init__(
        self,
        state_path: str | os.PathLike | None = None,
        *,
        webhook_url: Any = None,
        webhook_secret: str | None = None,
        api_version: str | None = None,
        retry_base: float = 2.0,
        retry_cap: float = 60.0,
        max_attempts: int = 8,
        delivery_timeout: float = 10.0,
        sweep_interval: float = 5.0,
    ):
        self.store = Store(state_path)
        self.lock = self.store.lock
        self.api_version = api_version or DEFAULT_API_VERSION
        if webhook_secret:
            self.store.data["webhook_secret"] = webhook_secret
        elif not self.store.data["webhook_secret"]:
            self.store.data["webhook_secret"] = "whsec_" + secrets.token_hex(24)
        self.webhooks = WebhookDispatcher(
            self,
            target=webhook_url,
            retry_base=retry_base,
            retry_cap=retry_cap,
            max_attempts=max_attempts,
            timeout=delivery_timeout,
        )
        self.sweep_interval = sweep_interval
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None
        self.store.save()

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the webhook sender and the expiry sweeper (background daemon threads)."""
        self.webhooks.start()
        if self._sweeper is None and self.sweep_interval > 0:
            self._sweeper = threading.Thread(
                target=self._sweep_loop, name="stripe-sandbox-sweeper", daemon=True
            )
            self._sweeper.start()

    def stop(self) -> None:
        """Stop the background threads and write the state."""
        self._stop.set()
        self.webhooks.stop()
        if self._sweeper is not None:
            self._sweeper.join(timeout=5)
            self._sweeper = None
        self.store.close()

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.sweep_interval):
            with self.lock:
                if expire_overdue(self):
                    self.store.changed()

    # -- clock and secrets ------------------------------------------------------------------
    @property
    def webhook_secret(self) -> str:
        """The ``whsec_...`` secret the events are signed with."""
        return self.store.data["webhook_secret"]

    def now(self) -> int:
        """The stand-in's clock (Unix seconds), which tests may move forward."""
        return self.store.now()

    def advance_clock(self, seconds: int) -> int:
        """Move the stand-in's clock forward (a test clock): sessions can then pass expiry."""
        with self.lock:
            self.store.data["clock_offset"] += int(seconds)
            expire_overdue(self)
            self.store.changed()
            return self.now()

    # -- events -----------------------------------------------------------------------------
    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        *,
        request: dict[str, Any] | None = None,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record an event with a snapshot of ``obj`` and queue its webhook delivery."""
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous:
            data["previous_attributes"] = previous
        event: dict[str, Any] = {
            "id": new_id("evt_1"),
            "object": "event",
            "api_version": self.api_version,
            "created": self.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1 if self.webhooks.target else 0,
            "request": request or {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        self.store.put("events", event)
        self.webhooks.enqueue(event["id"])
        return event

    # -- reading objects --------------------------------------------------------------------
    def fetch(self, collection: str, object_id: str, kind: str, param: str) -> dict[str, Any]:
        """An object by id, or a 404 ``resource_missing`` error."""
        obj = self.store.get(collection, object_id)
        if obj is None:
            raise no_such(kind, object_id, param)
        return obj

    def render(self, obj: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        """A copy of ``obj`` with the requested fields expanded (dotted paths allowed)."""
        out = copy.deepcopy(obj)
        for path in expand:
            self._expand(out, path.split("."), path)
        return out

    def _expand(self, obj: dict[str, Any], parts: list[str], path: str) -> None:
        if obj.get("object") == "list":
            if parts[0] != "data":
                raise invalid_param("expand", f"This property cannot be expanded ({path}).")
            for item in obj["data"]:
                self._expand(item, parts[1:], path)
            return
        if not parts:
            return
        field, rest = parts[0], parts[1:]
        targets = EXPANDABLE.get(obj.get("object", ""), {})
        if field not in targets:
            raise invalid_param("expand", f"This property cannot be expanded ({path}).")
        if field == "line_items":
            obj[field] = line_items_page(self, obj["id"], {})
        else:
            value = obj.get(field)
            if isinstance(value, str):
                obj[field] = copy.deepcopy(self.store.get(targets[field], value))
        if rest and isinstance(obj.get(field), dict):
            self._expand(obj[field], rest, path)

    def page(self, items: list[dict[str, Any]], params: dict[str, Any], url: str) -> dict[str, Any]:
        """One page of a Stripe list (``limit``, ``starting_after``, ``ending_before``)."""
        limit = as_int(params.get("limit"), "limit", minimum=1, maximum=100) or 10
        after = as_str(params.get("starting_after"), "starting_after")
        before = as_str(params.get("ending_before"), "ending_before")
        ids = [item["id"] for item in items]
        if after is not None:
            if after not in ids:
                raise StripeError(
                    f"No such object: '{after}'", code="resource_missing", param="starting_after"
                )
            window = items[ids.index(after) + 1 :]
            data, has_more = window[:limit], len(window) > limit
        elif before is not None:
            if before not in ids:
                raise StripeError(
                    f"No such object: '{before}'", code="resource_missing", param="ending_before"
                )
            window = items[: ids.index(before)]
            data, has_more = window[-limit:], len(window) > limit
        else:
            data, has_more = items[:limit], len(items) > limit
        return {"object": "list", "data": copy.deepcopy(data), "has_more": has_more, "url": url}
