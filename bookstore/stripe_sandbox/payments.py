"""Paying a session (test cards, delayed payments), settling delayed payments, and refunds."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bookstore.stripe_sandbox.cards import Decline, look_up
from bookstore.stripe_sandbox.checkout import get_session, public
from bookstore.stripe_sandbox.currency import format_amount
from bookstore.stripe_sandbox.errors import StripeError, invalid_param, no_such
from bookstore.stripe_sandbox.params import (
    as_choice,
    as_int,
    as_metadata,
    as_str,
    reject_unknown,
)
from bookstore.stripe_sandbox.store import new_id

if TYPE_CHECKING:
    from bookstore.stripe_sandbox.core import Sandbox

REFUND_PARAMS = {"payment_intent", "charge", "amount", "reason", "metadata", "expand"}
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
DELAYED_FAILURE = Decline("payment_failed", None, "The delayed payment failed to settle.")


@dataclass(frozen=True)
class CardDetails:
    """What the buyer typed on the pay page (already checked for shape)."""

    number: str
    exp_month: int
    exp_year: int
    name: str
    email: str
    delayed: bool = False


@dataclass(frozen=True)
class PayOutcome:
    """``paid``, ``processing`` (a delayed payment) or ``declined`` with the card's message."""

    status: str
    session: dict[str, Any]
    message: str | None = None


class SessionNotOpen(Exception):
    """The session can no longer be paid (complete or expired)."""


def pay(sb: "Sandbox", session_id: str, card: CardDetails) -> PayOutcome:
    """One payment attempt on the hosted page, with Stripe's test-card behaviour."""
    session = get_session(sb, session_id)
    if session["status"] != "open":
        raise SessionNotOpen(session["status"])
    intent = _intent_for(sb, session, card)
    test_card = look_up(card.number)
    method = _payment_method(card, test_card.brand)
    if test_card.decline is not None:
        charge = _charge(sb, intent, method, card, status="failed", decline=test_card.decline)
        intent.update(
            status="requires_payment_method",
            latest_charge=charge["id"],
            last_payment_error=_error(test_card.decline, charge, method),
        )
        return PayOutcome("declined", session, test_card.decline.message)
    session["customer_details"] = _customer(card)
    session["status"] = "complete"
    intent["payment_method"] = method["id"]
    if card.delayed:
        charge = _charge(sb, intent, method, card, status="pending")
        intent.update(status="processing", latest_charge=charge["id"], last_payment_error=None)
        session["payment_status"] = "unpaid"
        sb.emit("checkout.session.completed", public(session))
        return PayOutcome("processing", session)
    charge = _charge(sb, intent, method, card, status="succeeded")
    intent.update(
        status="succeeded",
        amount_received=intent["amount"],
        latest_charge=charge["id"],
        last_payment_error=None,
    )
    session["payment_status"] = "paid"
    sb.emit("checkout.session.completed", public(session))
    return PayOutcome("paid", session)


def settle(sb: "Sandbox", session_id: str, succeed: bool) -> dict[str, Any]:
    """Finish a delayed payment: it succeeds (session paid) or fails; emits the async event."""
    session = get_session(sb, session_id)
    intent = sb.store.get("payment_intents", session["payment_intent"] or "")
    if session["status"] != "complete" or intent is None or intent["status"] != "processing":
        raise StripeError(
            f"Checkout Session {session_id} has no delayed payment waiting to settle.",
            param="session",
        )
    charge = sb.store.require("charges", intent["latest_charge"])
    if succeed:
        charge.update(
            status="succeeded", paid=True, captured=True, amount_captured=charge["amount"]
        )
        intent.update(status="succeeded", amount_received=intent["amount"])
        session["payment_status"] = "paid"
        sb.emit("checkout.session.async_payment_succeeded", public(session))
    else:
        method = {"id": intent["payment_method"]}
        charge.update(
            status="failed",
            failure_code=DELAYED_FAILURE.code,
            failure_message=DELAYED_FAILURE.message,
        )
        intent.update(
            status="requires_payment_method",
            last_payment_error=_error(DELAYED_FAILURE, charge, method),
        )
        sb.emit("checkout.session.async_payment_failed", public(session))
    return session


def create_refund(sb: "Sandbox", params: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """Refund all or part of a succeeded payment; over-refunding is refused like Stripe."""
    reject_unknown(params, REFUND_PARAMS)
    intent_id = as_str(params.get("payment_intent"), "payment_intent", max_length=200)
    charge_id = as_str(params.get("charge"), "charge", max_length=200)
    if not intent_id and not charge_id:
        raise StripeError(
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
            code="parameter_missing",
        )
    amount = as_int(params.get("amount"), "amount", minimum=1)
    reason = as_choice(params.get("reason"), "reason", REFUND_REASONS)
    metadata = as_metadata(params.get("metadata"))
    if intent_id:
        intent = sb.store.get("payment_intents", intent_id)
        if intent is None:
            raise no_such("payment_intent", intent_id, "payment_intent", status=400)
        charge = sb.store.get("charges", intent["latest_charge"] or "")
        if charge is None or charge["status"] != "succeeded":
            raise StripeError(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
        if charge_id and charge_id != charge["id"]:
            raise invalid_param("charge", "The charge does not belong to this PaymentIntent.")
    else:
        charge_id = charge_id or ""  # one of the two is set (checked above)
        charge = sb.store.get("charges", charge_id)
        if charge is None:
            raise no_such("charge", charge_id, "charge", status=400)
        if charge["status"] != "succeeded":
            raise StripeError(
                f"Charge {charge_id} has not succeeded and cannot be refunded.",
                code="charge_not_refundable",
                param="charge",
            )
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise StripeError(
            f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    amount = remaining if amount is None else amount
    if amount > remaining:
        raise StripeError(
            f"Refund amount ({format_amount(amount, charge['currency'])}) is greater than "
            f"unrefunded amount on charge ({format_amount(remaining, charge['currency'])})",
            code="amount_too_large",
            param="amount",
        )
    refund = sb.store.put(
        "refunds",
        {
            "id": new_id("re_3"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": None,
            "charge": charge["id"],
            "created": sb.now(),
            "currency": charge["currency"],
            "metadata": metadata,
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        },
    )
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    sb.emit("charge.refunded", charge, request=request, previous=previous)
    return refund


def _intent_for(sb: "Sandbox", session: dict[str, Any], card: CardDetails) -> dict[str, Any]:
    # Stripe creates the PaymentIntent when the buyer first confirms the session.
    if session["payment_intent"]:
        return sb.store.require("payment_intents", session["payment_intent"])
    extra = session.get("_payment_intent_data", {})
    intent_id = new_id("pi_3")
    intent = sb.store.put(
        "payment_intents",
        {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_capturable": 0,
            "amount_received": 0,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic_async",
            "client_secret": f"{intent_id}_secret_{new_id('', 25)}",
            "confirmation_method": "automatic",
            "created": sb.now(),
            "currency": session["currency"],
            "customer": None,
            "description": extra.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": dict(extra.get("metadata") or {}),
            "payment_method": None,
            "payment_method_types": ["card"],
            "receipt_email": extra.get("receipt_email"),
            "status": "requires_payment_method",
        },
    )
    session["payment_intent"] = intent_id
    return intent


def _payment_method(card: CardDetails, brand: str) -> dict[str, Any]:
    return {
        "id": new_id("pm_1"),
        "card": {
            "brand": brand,
            "last4": card.number[-4:],
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
        },
    }


def _customer(card: CardDetails) -> dict[str, Any]:
    return {
        "address": None,
        "email": card.email,
        "name": card.name,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def _charge(
    sb: "Sandbox",
    intent: dict[str, Any],
    method: dict[str, Any],
    card: CardDetails,
    *,
    status: str,
    decline: Decline | None = None,
) -> dict[str, Any]:
    succeeded = status == "succeeded"
    return sb.store.put(
        "charges",
        {
            "id": new_id("ch_3"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"] if succeeded else 0,
            "amount_refunded": 0,
            "balance_transaction": None,
            "billing_details": {
                "address": None,
                "email": card.email,
                "name": card.name,
                "phone": None,
            },
            "captured": succeeded,
            "created": sb.now(),
            "currency": intent["currency"],
            "description": intent["description"],
            "failure_code": decline.code if decline else None,
            "failure_message": decline.message if decline else None,
            "livemode": False,
            "metadata": {},
            "outcome": {
                "network_status": "declined_by_network" if decline else "approved_by_network",
                "reason": decline.decline_code if decline else None,
                "type": "issuer_declined" if decline else "authorized",
            },
            "paid": succeeded,
            "payment_intent": intent["id"],
            "payment_method": method["id"],
            "payment_method_details": {"card": method["card"], "type": "card"},
            "receipt_email": intent["receipt_email"],
            "refunded": False,
            "status": status,
        },
    )


def _error(decline: Decline, charge: dict[str, Any], method: dict[str, Any]) -> dict[str, Any]:
    error = {
        "type": "card_error",
        "code": decline.code,
        "message": decline.message,
        "charge": charge["id"],
        "payment_method": method,
    }
    if decline.decline_code:
        error["decline_code"] = decline.decline_code
    return error
