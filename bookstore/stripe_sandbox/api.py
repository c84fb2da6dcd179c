"""The ``/v1`` JSON API: auth, form decoding, idempotency replay, Stripe-style errors.

Each request runs while holding the stand-in's lock, so an idempotency check, the change it
guards and the stored response are one atomic step. Only successful responses are stored for
replay: like Stripe, a request refused before it ran (bad parameters) saves no result.
"""

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, request

from bookstore.stripe_sandbox import checkout, payments
from bookstore.stripe_sandbox.core import Sandbox
from bookstore.stripe_sandbox.errors import StripeError
from bookstore.stripe_sandbox.params import as_choice, as_str, decode, expansions, reject_unknown
from bookstore.stripe_sandbox.store import new_id

bp = Blueprint("stripe_api", __name__, url_prefix="/v1")
LIST_PARAMS = {"limit", "starting_after", "ending_before", "expand"}
NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)


def json_response(
    status: int, body: dict[str, Any] | str, request_id: str, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer with Stripe's headers (``Request-Id``, ``Stripe-Version``)."""
    text = body if isinstance(body, str) else json.dumps(body, indent=2)
    response = Response(text, status=status, mimetype="application/json")
    response.headers["Request-Id"] = request_id
    response.headers["Stripe-Version"] = request.headers.get(
        "Stripe-Version", current_app.extensions["stripe_sandbox"].api_version
    )
    response.headers["Cache-Control"] = "no-cache, no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _api_key() -> str:
    header = request.headers.get("Authorization", "")
    key = ""
    if header.startswith("Bearer "):
        key = header[len("Bearer ") :].strip()
    elif header.startswith("Basic "):
        try:
            key = base64.b64decode(header[len("Basic ") :]).decode().split(":", 1)[0]
        except (binascii.Error, UnicodeDecodeError):
            key = ""
    if not key:
        raise StripeError(NO_KEY, status=401)
    if key.startswith(("sk_live_", "rk_live_")):
        raise StripeError(
            "The Stripe stand-in takes test-mode keys only (sk_test_...).",
            status=401,
            code="api_key_invalid",
        )
    if not key.startswith(("sk_test_", "rk_test_")) or len(key) < 12:
        masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else "****"
        raise StripeError(f"Invalid API Key provided: {masked}", status=401, code="api_key_invalid")
    return key


def _params() -> dict[str, Any]:
    pairs = list(request.args.items(multi=True))
    if request.method == "POST":
        pairs += list(request.form.items(multi=True))
    return decode(pairs)


def endpoint(allowed: set[str] | None = None) -> Callable:
    """Wrap a view ``(sb, params, req, **url_args) -> dict`` with auth, errors and idempotency.

    ``allowed``: the parameters the view takes (None: the view checks them itself).
    """

    def decorate(view: Callable[..., dict[str, Any]]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(**url_args: Any) -> Response:
            sb: Sandbox = current_app.extensions["stripe_sandbox"]
            request_id = new_id("req_", 14)
            key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
            try:
                api_key = _api_key()
                params = _params()
                if allowed is not None:
                    reject_unknown(params, allowed)
                if key is not None and len(key) > 255:
                    raise StripeError(
                        "Idempotency-Key must be at most 255 characters long.",
                        param="Idempotency-Key",
                    )
            except StripeError as exc:
                return json_response(exc.status, exc.body(), request_id)
            with sb.lock:
                record_id = fingerprint = None
                if key:
                    record_id = hashlib.sha256(f"{api_key}\0{key}".encode()).hexdigest()
                    fingerprint = hashlib.sha256(
                        json.dumps([request.method, request.path, params], sort_keys=True).encode()
                    ).hexdigest()
                    record = sb.store.get("idempotency", record_id)
                    if record is not None:
                        return _replay(record, fingerprint, key, request_id)
                req = {"id": request_id, "idempotency_key": key}
                # A GET changes state only by expiring overdue sessions, which emits events.
                events_before = len(sb.store.collection("events"))
                try:
                    body = view(sb, params, req, **url_args)
                except StripeError as exc:
                    if len(sb.store.collection("events")) != events_before:
                        sb.store.changed()
                    return json_response(exc.status, exc.body(), request_id)
                text = json.dumps(body, indent=2)
                if record_id is not None:
                    sb.store.put(
                        "idempotency",
                        {
                            "id": record_id,
                            "fingerprint": fingerprint,
                            "status": 200,
                            "body": text,
                            "request_id": request_id,
                            "stored_at": time.time(),
                        },
                    )
                if request.method == "POST" or len(sb.store.collection("events")) != events_before:
                    sb.store.changed()
            headers = {"Idempotency-Key": key} if key else {}
            return json_response(200, text, request_id, headers)

        return wrapper

    return decorate


def _replay(record: dict[str, Any], fingerprint: str, key: str, request_id: str) -> Response:
    if record["fingerprint"] != fingerprint:
        error = StripeError(
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request.",
            type="idempotency_error",
        )
        return json_response(400, error.body(), request_id)
    return json_response(
        record["status"],
        record["body"],
        request_id,
        {
            "Idempotency-Key": key,
            "Idempotent-Replayed": "true",
            "Original-Request": record["request_id"],
        },
    )


def _newest_first(sb: Sandbox, collection: str) -> list[dict[str, Any]]:
    return list(reversed(sb.store.collection(collection).values()))


# -- Checkout Sessions ----------------------------------------------------------------------
@bp.post("/checkout/sessions")
@endpoint()
def create_session(sb: Sandbox, params: dict, req: dict) -> dict:
    """Create a Checkout Session."""
    session = checkout.create_session(sb, params, request.host_url)
    return sb.render(checkout.public(session), expansions(params))


@bp.get("/checkout/sessions")
@endpoint(LIST_PARAMS | {"payment_intent", "status"})
def list_sessions(sb: Sandbox, params: dict, req: dict) -> dict:
    """List sessions, newest first (filters: ``payment_intent``, ``status``)."""
    checkout.expire_overdue(sb)
    wanted_intent = as_str(params.get("payment_intent"), "payment_intent")
    wanted_status = as_choice(params.get("status"), "status", ("open", "complete", "expired"))
    sessions = [
        checkout.public(s)
        for s in _newest_first(sb, "sessions")
        if (wanted_intent is None or s["payment_intent"] == wanted_intent)
        and (wanted_status is None or s["status"] == wanted_status)
    ]
    return sb.render(sb.page(sessions, params, "/v1/checkout/sessions"), expansions(params))


@bp.get("/checkout/sessions/<session_id>")
@endpoint({"expand"})
def retrieve_session(sb: Sandbox, params: dict, req: dict, session_id: str) -> dict:
    """Retrieve a session (``expand[]=line_items``, ``expand[]=payment_intent``)."""
    session = checkout.get_session(sb, session_id)
    return sb.render(checkout.public(session), expansions(params))


@bp.get("/checkout/sessions/<session_id>/line_items")
@endpoint(LIST_PARAMS)
def session_line_items(sb: Sandbox, params: dict, req: dict, session_id: str) -> dict:
    """List a session's line items."""
    checkout.get_session(sb, session_id)
    return sb.render(checkout.line_items_page(sb, session_id, params), expansions(params))


@bp.post("/checkout/sessions/<session_id>/expire")
@endpoint({"expand"})
def expire_session(sb: Sandbox, params: dict, req: dict, session_id: str) -> dict:
    """Expire an open session."""
    session = checkout.expire_session(sb, session_id, req)
    return sb.render(checkout.public(session), expansions(params))


# -- PaymentIntents, charges, refunds -------------------------------------------------------
@bp.get("/payment_intents/<intent_id>")
@endpoint({"expand", "client_secret"})
def retrieve_payment_intent(sb: Sandbox, params: dict, req: dict, intent_id: str) -> dict:
    """Retrieve a PaymentIntent."""
    return sb.render(
        sb.fetch("payment_intents", intent_id, "payment_intent", "intent"), expansions(params)
    )


@bp.get("/charges/<charge_id>")
@endpoint({"expand"})
def retrieve_charge(sb: Sandbox, params: dict, req: dict, charge_id: str) -> dict:
    """Retrieve a charge."""
    return sb.render(sb.fetch("charges", charge_id, "charge", "charge"), expansions(params))


@bp.post("/refunds")
@endpoint()
def create_refund(sb: Sandbox, params: dict, req: dict) -> dict:
    """Refund a payment in full or in part."""
    refund = payments.create_refund(sb, params, req)
    return sb.render(refund, expansions(params))


@bp.get("/refunds")
@endpoint(LIST_PARAMS | {"payment_intent", "charge"})
def list_refunds(sb: Sandbox, params: dict, req: dict) -> dict:
    """List refunds, newest first (filters: ``payment_intent``, ``charge``)."""
    intent = as_str(params.get("payment_intent"), "payment_intent")
    charge = as_str(params.get("charge"), "charge")
    refunds = [
        r
        for r in _newest_first(sb, "refunds")
        if (intent is None or r["payment_intent"] == intent)
        and (charge is None or r["charge"] == charge)
    ]
    return sb.render(sb.page(refunds, params, "/v1/refunds"), expansions(params))


@bp.get("/refunds/<refund_id>")
@endpoint({"expand"})
def retrieve_refund(sb: Sandbox, params: dict, req: dict, refund_id: str) -> dict:
    """Retrieve a refund."""
    return sb.render(sb.fetch("refunds", refund_id, "refund", "refund"), expansions(params))


# -- Events ---------------------------------------------------------------------------------
@bp.get("/events")
@endpoint(LIST_PARAMS | {"type"})
def list_events(sb: Sandbox, params: dict, req: dict) -> dict:
    """List events, newest first (``type`` filter; ``*`` wildcards like ``checkout.session.*``)."""
    wanted = as_str(params.get("type"), "type")
    events = _newest_first(sb, "events")
    if wanted:
        prefix = wanted[:-1] if wanted.endswith("*") else None
        events = [
            e
            for e in events
            if (e["type"].startswith(prefix) if prefix is not None else e["type"] == wanted)
        ]
    return sb.render(sb.page(events, params, "/v1/events"), expansions(params))


@bp.get("/events/<event_id>")
@endpoint({"expand"})
def retrieve_event(sb: Sandbox, params: dict, req: dict, event_id: str) -> dict:
    """Retrieve an event."""
    return sb.render(sb.fetch("events", event_id, "event", "id"), expansions(params))
