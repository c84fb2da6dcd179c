"""The hosted pay page (at a session's ``url``) and the sandbox-only routes under ``/_sandbox``.

The sandbox routes take no API key (the stand-in listens on loopback only):
``GET /_sandbox/`` a dashboard of sessions and events with settle and replay buttons,
``GET /_sandbox/webhooks`` the delivery log as JSON,
``POST /_sandbox/events/<id>/replay`` sends an event again,
``POST /_sandbox/sessions/<id>/settle`` with ``outcome=succeeded|failed`` finishes a delayed
payment, ``POST /_sandbox/clock`` with ``advance=<seconds>`` moves the test clock forward.
"""

import re
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from bookstore.stripe_sandbox import checkout, payments
from bookstore.stripe_sandbox.cards import TEST_CARDS, luhn_valid, normalise_number
from bookstore.stripe_sandbox.core import Sandbox
from bookstore.stripe_sandbox.currency import format_amount
from bookstore.stripe_sandbox.errors import StripeError, no_such
from bookstore.stripe_sandbox.params import as_choice, as_int

bp = Blueprint("stripe_pages", __name__)
_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/?\s*(\d{2}|\d{4})\s*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _sandbox() -> Sandbox:
    return current_app.extensions["stripe_sandbox"]


def _render_message(
    title: str, text: str, status: int, link: str | None = None, link_text: str | None = None
) -> tuple[str, int]:
    return render_template(
        "stripe_sandbox/message.html", title=title, text=text, link=link, link_text=link_text
    ), status


def _closed_page(session: dict[str, Any]) -> tuple[str, int]:
    if session["status"] == "expired":
        return _render_message(
            "This checkout has expired",
            "The time to pay for this order ran out, and nothing was charged.",
            410,
            session["cancel_url"],
            "Back to the shop",
        )
    return _render_message(
        "This checkout is complete",
        "This order has already been paid for (or its payment is on its way).",
        200,
        checkout_success_url(session),
        "Continue to the shop",
    )


def checkout_success_url(session: dict[str, Any]) -> str:
    """``success_url`` with ``{CHECKOUT_SESSION_ID}`` replaced, as Stripe does."""
    return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])


def _pay_page(
    session: dict[str, Any],
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    decline: str | None = None,
) -> tuple[str, int]:
    sb = _sandbox()
    items = sb.store.collection("line_items").get(session["id"], [])
    return render_template(
        "stripe_sandbox/pay.html",
        session=session,
        items=items,
        money=lambda amount: format_amount(amount, session["currency"]),
        errors=errors or {},
        values=values or {},
        decline=decline,
        test_cards=TEST_CARDS,
    ), status


@bp.get("/c/pay/<session_id>")
def pay_page(session_id: str) -> Any:
    """The hosted checkout page for an open session."""
    sb = _sandbox()
    with sb.lock:
        session = sb.store.get("sessions", session_id)
        if session is None:
            return _render_message("Checkout not found", "This checkout link is not valid.", 404)
        if checkout.expire_if_overdue(sb, session):
            sb.store.changed()
        if session["status"] != "open":
            return _closed_page(session)
        return _pay_page(session)


@bp.post("/c/pay/<session_id>")
def pay_submit(session_id: str) -> Any:
    """Take a test card: pay and 303 to ``success_url``, or show why it was refused."""
    sb = _sandbox()
    with sb.lock:
        session = sb.store.get("sessions", session_id)
        if session is None:
            return _render_message("Checkout not found", "This checkout link is not valid.", 404)
        card, errors, values = _read_card(request.form, session, sb.now())
        if checkout.expire_if_overdue(sb, session):
            sb.store.changed()
        if session["status"] != "open":
            return _closed_page(session)
        if card is None:
            return _pay_page(session, 422, errors, values)
        outcome = payments.pay(sb, session_id, card)
        sb.store.changed()
        if outcome.status == "declined":
            return _pay_page(session, 402, {}, values, outcome.message)
        return redirect(checkout_success_url(session), code=303)


def _read_card(
    form: Any, session: dict[str, Any], now: int
) -> tuple[payments.CardDetails | None, dict[str, str], dict[str, Any]]:
    values = {
        "email": form.get("email", "").strip(),
        "card_name": form.get("card_name", "").strip(),
        "card_expiry": form.get("card_expiry", "").strip(),
        "delayed": form.get("delayed") == "1",
    }
    errors: dict[str, str] = {}
    email = session["customer_email"] or values["email"]
    if not session["customer_email"] and not _EMAIL.match(values["email"]):
        errors["email"] = "Enter a valid email address, like name@example.com."
    number = normalise_number(form.get("card_number", ""))
    if not number:
        errors["card_number"] = "Enter your card number."
    elif not number.isdigit() or not 12 <= len(number) <= 19:
        errors["card_number"] = "Your card number is incomplete."
    elif not luhn_valid(number):
        errors["card_number"] = "Your card number is invalid."
    month = year = 0
    match = _EXPIRY.match(values["card_expiry"])
    if not match:
        errors["card_expiry"] = "Enter the expiry date as MM / YY."
    else:
        month, year = int(match.group(1)), int(match.group(2))
        year += 2000 if year < 100 else 0
        today = datetime.fromtimestamp(now, UTC)
        if not 1 <= month <= 12:
            errors["card_expiry"] = "Your card's expiration month is invalid."
        elif (year, month) < (today.year, today.month):
            errors["card_expiry"] = "Your card's expiration date is in the past."
    cvc = form.get("card_cvc", "").strip()
    if not re.fullmatch(r"\d{3,4}", cvc):
        errors["card_cvc"] = "Your card's security code is incomplete."
    if not values["card_name"]:
        errors["card_name"] = "Enter the name on the card."
    elif len(values["card_name"]) > 200:
        errors["card_name"] = "The name is too long."
    if errors:
        return None, errors, values
    card = payments.CardDetails(
        number=number,
        exp_month=month,
        exp_year=year,
        name=values["card_name"],
        email=email,
        delayed=values["delayed"],
    )
    return card, errors, values


# -- sandbox-only routes ----------------------------------------------------------------------
def _sandbox_error(exc: StripeError) -> Response:
    response = jsonify(exc.body())
    response.status_code = exc.status
    return response


def _done(payload: dict[str, Any]) -> Any:
    # The dashboard's buttons come back to it; scripts and tests get JSON.
    if request.form.get("next") == "dashboard":
        return redirect(url_for("stripe_pages.dashboard"), code=303)
    return jsonify(payload)


@bp.get("/")
def home() -> Any:
    """The stand-in's front page is its dashboard."""
    return redirect(url_for("stripe_pages.dashboard"))


@bp.get("/_sandbox/")
def dashboard() -> Any:
    """Recent sessions (settle delayed payments) and events (delivery state, replay)."""
    sb = _sandbox()
    with sb.lock:
        sessions = list(reversed(sb.store.collection("sessions").values()))[:50]
        intents = sb.store.collection("payment_intents")
        events = list(reversed(sb.store.collection("events").values()))[:50]
        deliveries = sb.store.collection("deliveries")
        return render_template(
            "stripe_sandbox/dashboard.html",
            sessions=sessions,
            intents=intents,
            events=events,
            deliveries=deliveries,
            webhook_target=sb.webhooks.target,
            format_amount=format_amount,
        )


@bp.get("/_sandbox/webhooks")
def webhook_log() -> Any:
    """Every delivery attempt as JSON, and the events still pending."""
    sb = _sandbox()
    target = sb.webhooks.target
    return jsonify(
        webhook_url=target if isinstance(target, str) else None,
        pending=sb.webhooks.pending(),
        attempts=sb.webhooks.log(),
    )


@bp.post("/_sandbox/events/<event_id>/replay")
def replay_event(event_id: str) -> Any:
    """Send an event to the webhook again (a fresh delivery with its own retries)."""
    sb = _sandbox()
    with sb.lock:
        if sb.store.get("events", event_id) is None:
            return _sandbox_error(no_such("event", event_id, "id"))
        if not sb.webhooks.target:
            return _sandbox_error(StripeError("No webhook URL is configured.", status=409))
        sb.webhooks.enqueue(event_id)
        sb.store.changed()
    return _done({"replayed": event_id})


@bp.post("/_sandbox/sessions/<session_id>/settle")
def settle_session(session_id: str) -> Any:
    """Finish a delayed payment: ``outcome=succeeded`` (the default) or ``outcome=failed``."""
    sb = _sandbox()
    with sb.lock:
        try:
            outcome = as_choice(
                request.form.get("outcome") or "succeeded", "outcome", ("succeeded", "failed")
            )
            session = payments.settle(sb, session_id, outcome == "succeeded")
        except StripeError as exc:
            return _sandbox_error(exc)
        finally:
            sb.store.changed()
        return _done(checkout.public(session))


@bp.post("/_sandbox/clock")
def advance_clock() -> Any:
    """Move the test clock forward by ``advance`` seconds (sessions may then expire)."""
    sb = _sandbox()
    try:
        seconds = as_int(
            request.form.get("advance"),
            "advance",
            required=True,
            minimum=0,
            maximum=366 * 24 * 3600,
        )
    except StripeError as exc:
        return _sandbox_error(exc)
    return _done({"now": sb.advance_clock(seconds or 0)})
