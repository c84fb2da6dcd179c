"""``POST /stripe/webhook``: Stripe's signed events (no CSRF token: the signature is the proof)."""

from __future__ import annotations

import stripe
from flask import Blueprint, current_app, jsonify, request

from bookstore.checkout import gateway
from bookstore.checkout.events import handle_event
from bookstore.dbtypes import utcnow
from bookstore.errors import NotFound, PaymentServiceUnavailable
from bookstore.extensions import csrf, db, limiter

bp = Blueprint("stripe_webhook", __name__)


def _reply(status: int, **body):
    return jsonify(body), status


@bp.post("/stripe/webhook")
@csrf.exempt
@limiter.exempt
def webhook():
    """Verify the signature (400 and no change when it fails), then handle the event once."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        current_app.logger.error("Stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set")
        return _reply(400, error="Webhook secret not configured.")
    body = request.get_data(cache=False)
    try:
        event = gateway.construct_event(body, request.headers.get("Stripe-Signature"), secret)
    except stripe.SignatureVerificationError:
        return _reply(400, error="Invalid signature.")
    except (ValueError, TypeError, KeyError, AttributeError):
        # Signed, but not a JSON event object.
        return _reply(400, error="Invalid payload.")
    try:
        outcome = handle_event(event, now=utcnow())
    except PaymentServiceUnavailable:
        # Could not ask Stripe about the session: nothing is kept, Stripe will retry.
        db.session.rollback()
        return _reply(503, error="Payment service unavailable, retry later.")
    except NotFound:
        outcome = "unknown session"
    db.session.commit()
    current_app.logger.info("Stripe event %s: %s", event.get("id", "?"), outcome)
    return _reply(200, received=True, outcome=outcome)
