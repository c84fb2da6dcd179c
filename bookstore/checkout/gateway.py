"""The Stripe gateway: the only module that talks to Stripe (or the stand-in).

Every call has a short timeout and at most one network retry -- together within
``STRIPE_TIMEOUT_SECONDS`` (10 s), and every POST an explicit idempotency key, so a slow or
absent Stripe costs the shopper seconds, never minutes, and a retried request never creates a
second session or refund. No call may run inside an open database write transaction
(``bookstore.txguard``): callers commit first, call, then record the answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
import stripe
from flask import current_app

from bookstore.errors import InvalidInput, NotFound, PaymentServiceUnavailable
from bookstore.txguard import check_no_write_transaction

if TYPE_CHECKING:
    from bookstore.checkout.models import Order

STANDIN_KEY = "sk_test_standin"
STANDIN_API_BASE = "http://127.0.0.1:12111"

# Errors that mean "Stripe cannot answer now", not "the request was wrong".
_UNAVAILABLE = (
    stripe.APIConnectionError,
    stripe.APIError,
    stripe.RateLimitError,
    stripe.AuthenticationError,
    stripe.PermissionError,
)


@dataclass(frozen=True)
class CheckoutSession:
    """What the shop needs from a Checkout Session, as plain values."""

    id: str
    url: str | None
    status: str | None
    payment_status: str | None
    amount_total: int | None
    currency: str | None
    payment_intent: str | None
    order_id: str | None
    client_reference_id: str | None

    @classmethod
    def from_stripe(cls, session: Any) -> CheckoutSession:
        data = session.to_dict() if hasattr(session, "to_dict") else dict(session)
        intent = data.get("payment_intent")
        if isinstance(intent, dict):
            intent = intent.get("id")
        metadata = data.get("metadata") or {}
        return cls(
            id=data["id"],
            url=data.get("url"),
            status=data.get("status"),
            payment_status=data.get("payment_status"),
            amount_total=data.get("amount_total"),
            currency=(data.get("currency") or "").upper() or None,
            payment_intent=intent,
            order_id=metadata.get("order_id"),
            client_reference_id=data.get("client_reference_id"),
        )


def stripe_settings(config: Mapping[str, Any]) -> tuple[str, str | None]:
    """(secret key, API base): the stand-in's when no key is configured."""
    key = config.get("STRIPE_SECRET_KEY")
    base = config.get("STRIPE_API_BASE")
    if not key:
        return STANDIN_KEY, base or STANDIN_API_BASE
    return key, base


def attempt_timeout(config: Mapping[str, Any]) -> float:
    """Seconds one try may take: half the budget, since a failed try is retried once."""
    return max(float(config.get("STRIPE_TIMEOUT_SECONDS") or 10) / 2, 0.5)


class StripeHttp(stripe.RequestsClient):
    """Stripe's ``requests`` client, with the proxy settings read from the environment once,
    when it is built: ``requests`` would read them (every variable, for ``no_proxy`` too) and
    look for a ``.netrc`` file on each call, about half a millisecond each time. The
    environment's proxy for the API's address is passed on as the client's ``proxy``."""

    def __init__(self, *, timeout: float, api_base: str | None = None):
        proxies = requests.utils.get_environ_proxies(api_base or stripe.DEFAULT_API_BASE)
        # As requests would pick them per call: by scheme, or "all" (NO_PROXY already applied).
        chosen: Any = {scheme: url for scheme, url in proxies.items() if scheme != "no"}
        super().__init__(timeout=timeout, proxy=chosen or None)

    def _request_internal(self, *args: Any, **kwargs: Any) -> Any:
        # Each thread's session, made here rather than by the SDK, with trust_env off.
        if getattr(self._thread_local, "session", None) is None:
            session = requests.Session()
            session.trust_env = False
            self._thread_local.session = session
        return super()._request_internal(*args, **kwargs)


def build_client(
    config: Mapping[str, Any], http: stripe.HTTPClient | None = None
) -> stripe.StripeClient:
    """A StripeClient from the app settings: short timeout, one retry at most."""
    key, base = stripe_settings(config)
    timeout = attempt_timeout(config)
    return stripe.StripeClient(
        key,
        base_addresses={"api": base} if base else None,
        max_network_retries=1,
        http_client=http or StripeHttp(timeout=timeout, api_base=base),
    )


def client() -> stripe.StripeClient:
    """The app's StripeClient, built once per app."""
    cached = current_app.extensions.get("bookstore_stripe")
    if not isinstance(cached, stripe.StripeClient):
        config = current_app.config
        http = current_app.extensions["bookstore_stripe_http"] = StripeHttp(
            timeout=attempt_timeout(config), api_base=stripe_settings(config)[1]
        )
        cached = current_app.extensions["bookstore_stripe"] = build_client(config, http)
    return cached


def _call(what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    check_no_write_transaction(f"Stripe ({what})")
    try:
        return fn(*args, **kwargs)
    except _UNAVAILABLE as exc:
        current_app.logger.warning("Stripe unavailable during %s: %s", what, exc)
        raise PaymentServiceUnavailable(
            "The payment service is not answering right now. Your cart is safe: "
            "please try again in a few minutes."
        ) from exc
    finally:
        # The SDK keeps one pooled session per thread; close it so that no socket outlives a
        # request thread (one connection per call is cheap next to a checkout).
        http = current_app.extensions.get("bookstore_stripe_http")
        if http is not None:
            http.close()


@dataclass(frozen=True)
class SessionRequest:
    """Everything Stripe is asked for one payment attempt, read from the database beforehand
    so that the call itself needs no database at all."""

    params: dict[str, Any]
    idempotency_key: str
    amount_total: int


def session_request(
    order: Order,
    attempt: int,
    *,
    line_items: list[dict[str, Any]],
    success_url: str,
    cancel_url: str,
) -> SessionRequest:
    """The Checkout Session for an order's payment ``attempt``: every amount from our
    database, adding up exactly to the order's total (else InvalidInput: nothing is asked)."""
    currency = order.currency.lower()
    items = list(line_items)
    if order.shipping_cents:
        items.append(
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": order.shipping_cents,
                    "product_data": {"name": f"Shipping ({order.shipping_method})"},
                },
            }
        )
    if order.tax_cents:
        items.append(
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": order.tax_cents,
                    "product_data": {"name": order.tax_label or "Sales tax"},
                },
            }
        )
    amount = sum(i["quantity"] * i["price_data"]["unit_amount"] for i in items)
    if amount != order.total_cents:
        raise InvalidInput("The amounts of this order changed: please review it again.")
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": items,
        "metadata": {"order_id": str(order.id), "order_reference": order.reference},
        "client_reference_id": order.reference,
        "customer_email": order.email,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "payment_intent_data": {"metadata": {"order_id": str(order.id)}},
    }
    if order.reserved_until is not None:
        params["expires_at"] = int(order.reserved_until.timestamp())
    return SessionRequest(
        params=params,
        idempotency_key=f"order-{order.reference}-attempt-{attempt}-session",
        amount_total=amount,
    )


def create_checkout_session(request: SessionRequest) -> CheckoutSession:
    """Create the hosted Checkout Session; the idempotency key names the order and the
    attempt, so a network retry returns the same session instead of a second one."""
    session = _call(
        "create session",
        client().v1.checkout.sessions.create,
        request.params,
        {"idempotency_key": request.idempotency_key},
    )
    return CheckoutSession.from_stripe(session)


def retrieve_session(session_id: str) -> CheckoutSession:
    """The session as Stripe sees it now; NotFound when Stripe does not know the id."""
    try:
        session = _call("retrieve session", client().v1.checkout.sessions.retrieve, session_id)
    except stripe.InvalidRequestError as exc:
        raise NotFound("No such checkout session.") from exc
    return CheckoutSession.from_stripe(session)


def expire_session(session_id: str) -> CheckoutSession | None:
    """Expire an open session so it can no longer be paid; None when it was not open."""
    try:
        session = _call(
            "expire session",
            client().v1.checkout.sessions.expire,
            session_id,
            None,
            {"idempotency_key": f"expire-{session_id}"},
        )
    except stripe.InvalidRequestError:
        return None
    return CheckoutSession.from_stripe(session)


def order_id_of_payment(payment_intent: str) -> int | None:
    """The order a payment belongs to, from the metadata checkout gave its PaymentIntent."""
    try:
        intent = _call("retrieve payment", client().v1.payment_intents.retrieve, payment_intent)
    except stripe.InvalidRequestError:
        return None
    raw = (intent.to_dict().get("metadata") or {}).get("order_id")
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


def construct_event(body: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    """Verify a webhook's signature (300 s tolerance) and parse it: the event as plain JSON
    values (the webhook reads them as such; the SDK's ``Event`` objects, built for the whole
    nested payload and turned back into dicts, cost more than handling the event).

    Raises stripe.SignatureVerificationError, or ValueError (bad JSON, or not an object).
    """
    text = body.decode("utf-8")  # signed as text (a UnicodeDecodeError is a ValueError)
    stripe.WebhookSignature.verify_header(text, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE)
    event = json.loads(text)
    if not isinstance(event, dict):
        raise ValueError("A webhook's event is a JSON object.")
    return event


def create_refund(
    payment_intent: str, amount: int | None, *, idempotency_key: str, metadata: dict[str, str]
) -> dict[str, Any]:
    """Refund ``amount`` cents (all that is left when None) of a payment; returns the refund.

    Stripe's own refusals (e.g. more than was paid) become InvalidInput with its message.
    """
    params: dict[str, Any] = {"payment_intent": payment_intent, "metadata": metadata}
    if amount is not None:
        params["amount"] = amount
    try:
        refund = _call(
            "refund",
            client().v1.refunds.create,
            params,
            {"idempotency_key": idempotency_key},
        )
    except stripe.InvalidRequestError as exc:
        raise InvalidInput(f"Stripe refused the refund: {exc.user_message or exc}") from exc
    return dict(refund.to_dict() if hasattr(refund, "to_dict") else refund)
