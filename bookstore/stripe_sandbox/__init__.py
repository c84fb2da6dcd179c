"""A Stripe stand-in: a small stateful HTTP server speaking the part of Stripe's API the shop
uses, in Stripe's JSON shapes, so the official ``stripe`` SDK talks to it over HTTP.

- ``/v1``: Checkout Sessions (create, retrieve with ``expand``, list, line items, expire),
  PaymentIntents and charges (retrieve), refunds (create full or partial, retrieve, list),
  events (list, retrieve). Bearer ``sk_test_...`` keys only; ``Idempotency-Key`` replay;
  Stripe-style JSON errors.
- ``/c/pay/<session id>``: the hosted pay page (test cards: see ``cards.py``).
- ``/_sandbox/...``: dashboard, delivery log, event replay, settling delayed payments, test clock.
- Events are signed like Stripe's and POSTed to the webhook URL with retries (``webhooks.py``).

Run it with ``flask stripe-sandbox`` (``cli.py``) or ``SandboxServer(...).start()``.
"""

from bookstore.stripe_sandbox.app import create_sandbox_app
from bookstore.stripe_sandbox.core import EVENT_TYPES, Sandbox
from bookstore.stripe_sandbox.server import SandboxServer
from bookstore.stripe_sandbox.webhooks import sign

__all__ = ["EVENT_TYPES", "Sandbox", "SandboxServer", "create_sandbox_app", "sign"]
