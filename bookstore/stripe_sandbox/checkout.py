"""Checkout Sessions: create with ``line_items[].price_data``, read, list line items, expire."""

from typing import TYPE_CHECKING, Any

from bookstore.stripe_sandbox import currency as currencies
from bookstore.stripe_sandbox.errors import StripeError, invalid_param, missing_param
from bookstore.stripe_sandbox.params import (
    as_choice,
    as_dict,
    as_email,
    as_int,
    as_list,
    as_metadata,
    as_str,
    as_url,
    reject_unknown,
)
from bookstore.stripe_sandbox.store import new_id

if TYPE_CHECKING:
    from bookstore.stripe_sandbox.core import Sandbox

MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 3600
# Seconds of slack for a client whose "now + 30 minutes" reaches us a moment later.
CLOCK_SLACK = 10
SESSION_PARAMS = {
    "line_items",
    "mode",
    "metadata",
    "client_reference_id",
    "customer_email",
    "success_url",
    "cancel_url",
    "expires_at",
    "expand",
    "currency",
    "payment_intent_data",
    # Accepted and ignored: they change nothing the stand-in models.
    "payment_method_types",
    "locale",
    "submit_type",
    "billing_address_collection",
    "customer_creation",
    "allow_promotion_codes",
    "ui_mode",
}
LINE_ITEM_PARAMS = {"price_data", "quantity", "price"}
PRICE_DATA_PARAMS = {"currency", "unit_amount", "product_data", "tax_behavior", "product"}
PRODUCT_DATA_PARAMS = {"name", "description", "images", "metadata", "tax_code"}
PAYMENT_INTENT_DATA_PARAMS = {"metadata", "description", "receipt_email"}


def create_session(sb: "Sandbox", params: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Validate the parameters like Stripe and store an open, unpaid session."""
    reject_unknown(params, SESSION_PARAMS)
    mode = as_choice(
        params.get("mode"), "mode", ("payment", "setup", "subscription"), required=True
    )
    if mode != "payment":
        raise invalid_param("mode", "The stand-in supports only mode=payment.")
    ui_mode = as_choice(params.get("ui_mode"), "ui_mode", ("hosted", "embedded", "custom"))
    if ui_mode not in (None, "hosted"):
        raise invalid_param(
            "ui_mode", "The stand-in supports only the hosted page (ui_mode=hosted)."
        )
    success_url = as_url(params.get("success_url"), "success_url", required=True)
    cancel_url = as_url(params.get("cancel_url"), "cancel_url")
    now = sb.now()
    expires_at = as_int(params.get("expires_at"), "expires_at")
    if expires_at is None:
        expires_at = now + MAX_LIFETIME
    elif expires_at < now + MIN_LIFETIME - CLOCK_SLACK:
        raise invalid_param(
            "expires_at",
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
        )
    elif expires_at > now + MAX_LIFETIME:
        raise invalid_param(
            "expires_at",
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
        )
    session_id = new_id("cs_test_a1", 56)
    items, currency = _line_items(params.get("line_items"), session_id)
    subtotal = sum(item["amount_subtotal"] for item in items)
    if subtotal < currencies.minimum_charge(currency):
        minimum = currencies.format_amount(currencies.minimum_charge(currency), currency)
        raise invalid_param(
            "line_items",
            f"The Checkout Session's total amount due must add up to at least {minimum} {currency}",
            code="amount_too_small",
        )
    if subtotal > currencies.MAX_AMOUNT:
        raise invalid_param(
            "line_items", "The total amount is over the maximum allowed.", code="amount_too_large"
        )
    intent_data = as_dict(params.get("payment_intent_data"), "payment_intent_data")
    reject_unknown(intent_data, PAYMENT_INTENT_DATA_PARAMS, "payment_intent_data")
    session = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": subtotal,
        "amount_total": subtotal,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": cancel_url,
        "client_reference_id": as_str(
            params.get("client_reference_id"), "client_reference_id", max_length=200
        ),
        "client_secret": None,
        "created": now,
        "currency": currency,
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": as_email(params.get("customer_email"), "customer_email"),
        "expires_at": expires_at,
        "invoice": None,
        "livemode": False,
        "locale": None,
        "metadata": as_metadata(params.get("metadata")),
        "mode": "payment",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "status": "open",
        "submit_type": None,
        "success_url": success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{base_url.rstrip('/')}/c/pay/{session_id}",
        # Not part of Stripe's shape: kept for the PaymentIntent created when the buyer pays.
        "_payment_intent_data": {
            "metadata": as_metadata(intent_data.get("metadata"), "payment_intent_data[metadata]"),
            "description": as_str(
                intent_data.get("description"), "payment_intent_data[description]"
            ),
            "receipt_email": as_email(
                intent_data.get("receipt_email"), "payment_intent_data[receipt_email]"
            ),
        },
    }
    sb.store.put("sessions", session)
    sb.store.collection("line_items")[session_id] = items
    return session


def _line_items(raw: Any, session_id: str) -> tuple[list[dict[str, Any]], str]:
    entries = as_list(raw, "line_items")
    if not entries:
        raise missing_param("line_items")
    if len(entries) > 100:
        raise invalid_param("line_items", "A Checkout Session can have at most 100 line items.")
    items: list[dict[str, Any]] = []
    currency: str | None = None
    for index, entry in enumerate(entries):
        param = f"line_items[{index}]"
        entry = as_dict(entry, param)
        reject_unknown(entry, LINE_ITEM_PARAMS, param)
        if entry.get("price"):
            raise StripeError(
                f"No such price: '{entry['price']}'",
                code="resource_missing",
                param=f"{param}[price]",
            )
        price_data = as_dict(entry.get("price_data"), f"{param}[price_data]")
        if not price_data:
            raise missing_param(f"{param}[price_data]")
        reject_unknown(price_data, PRICE_DATA_PARAMS, f"{param}[price_data]")
        item_currency = _currency(price_data.get("currency"), f"{param}[price_data][currency]")
        if currency is not None and item_currency != currency:
            raise invalid_param(
                f"{param}[price_data][currency]", "All line items must use the same currency."
            )
        currency = item_currency
        unit_amount = as_int(
            price_data.get("unit_amount"),
            f"{param}[price_data][unit_amount]",
            required=True,
            minimum=0,
            maximum=currencies.MAX_AMOUNT,
        )
        if price_data.get("product"):
            raise StripeError(
                f"No such product: '{price_data['product']}'",
                code="resource_missing",
                param=f"{param}[price_data][product]",
            )
        product_data = as_dict(price_data.get("product_data"), f"{param}[price_data][product_data]")
        if not product_data:
            raise missing_param(f"{param}[price_data][product_data]")
        reject_unknown(product_data, PRODUCT_DATA_PARAMS, f"{param}[price_data][product_data]")
        name = as_str(
            product_data.get("name"),
            f"{param}[price_data][product_data][name]",
            required=True,
            max_length=250,
        )
        quantity = as_int(
            entry.get("quantity"), f"{param}[quantity]", required=True, minimum=1, maximum=999_999
        )
        items.append(
            _line_item(
                session_id,
                name,
                currency,
                unit_amount,
                quantity,
                as_metadata(
                    product_data.get("metadata"), f"{param}[price_data][product_data][metadata]"
                ),
            )
        )
    assert currency is not None  # there is at least one line item  # noqa: S101
    return items, currency


def _currency(raw: Any, param: str) -> str:
    code = (as_str(raw, param, required=True, max_length=10) or "").lower()
    if code not in currencies.SUPPORTED:
        raise invalid_param(
            param,
            f"Invalid currency: {code}. The stand-in supports: "
            f"{', '.join(sorted(currencies.SUPPORTED))}.",
        )
    return code


def _line_item(
    session_id: str,
    name: str,
    currency: str,
    unit_amount: int,
    quantity: int,
    product_metadata: dict[str, str],
) -> dict[str, Any]:
    amount = unit_amount * quantity
    return {
        "id": new_id("li_1"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": currency,
        "description": name,
        "price": {
            "id": new_id("price_1"),
            "object": "price",
            "active": False,
            "billing_scheme": "per_unit",
            "currency": currency,
            "livemode": False,
            "metadata": {},
            "product": {
                "id": new_id("prod_"),
                "object": "product",
                "name": name,
                "metadata": product_metadata,
            },
            "type": "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        },
        "quantity": quantity,
    }


def public(session: dict[str, Any]) -> dict[str, Any]:
    """The session without the stand-in's private fields (those starting with ``_``)."""
    return {key: value for key, value in session.items() if not key.startswith("_")}


def get_session(sb: "Sandbox", session_id: str) -> dict[str, Any]:
    """A session by id (404 otherwise), expired first if its time has passed."""
    session = sb.fetch("sessions", session_id, "checkout.session", "session")
    expire_if_overdue(sb, session)
    return session


def line_items_page(sb: "Sandbox", session_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """The session's line items as a Stripe list (``product`` stays an id, as in Stripe)."""
    items = []
    for item in sb.store.collection("line_items").get(session_id, []):
        shown = dict(item, price=dict(item["price"], product=item["price"]["product"]["id"]))
        items.append(shown)
    return sb.page(items, params, f"/v1/checkout/sessions/{session_id}/line_items")


def expire_session(
    sb: "Sandbox", session_id: str, request: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Expire an open session now (``POST .../expire``); other states are refused."""
    session = get_session(sb, session_id)
    if session["status"] != "open":
        raise StripeError(
            'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
            f"Session has a status of {session['status']}."
        )
    _expire(sb, session, request)
    return session


def expire_if_overdue(sb: "Sandbox", session: dict[str, Any]) -> bool:
    """Expire ``session`` if it is open and past ``expires_at``."""
    if session["status"] == "open" and sb.now() >= session["expires_at"]:
        _expire(sb, session, None)
        return True
    return False


def expire_overdue(sb: "Sandbox") -> int:
    """Expire every open session past its ``expires_at``; returns how many."""
    return sum(expire_if_overdue(sb, s) for s in list(sb.store.collection("sessions").values()))


def _expire(sb: "Sandbox", session: dict[str, Any], request: dict[str, Any] | None) -> None:
    session["status"] = "expired"
    session["url"] = None
    intent = sb.store.get("payment_intents", session["payment_intent"] or "")
    if intent is not None and intent["status"] == "requires_payment_method":
        intent.update(status="canceled", canceled_at=sb.now(), cancellation_reason="abandoned")
    sb.emit("checkout.session.expired", public(session), request=request)
