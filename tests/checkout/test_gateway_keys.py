"""The Checkout Session's idempotency key names the order and the payment attempt.

Against the stand-in (which, like Stripe, replays the stored answer for a repeated
``Idempotency-Key``): the same attempt asked twice gives the same session, the next attempt a
new one.
"""

import hashlib

from bookstore.checkout import gateway
from bookstore.checkout.models import Order
from bookstore.dbtypes import utcnow
from bookstore.deals.orders import payment_line_items
from bookstore.extensions import db
from tests.checkout import helpers
from tests.factories import make_book

SUCCESS_URL = "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"


def _cancel_url(order: Order) -> str:
    return f"http://shop.test/checkout/cancel/{order.reference}"


def _stored_key(stripe_sandbox, key: str):
    """The stand-in's record of a request made with this Idempotency-Key (None if never)."""
    record_id = hashlib.sha256(f"{stripe_sandbox.api_key}\0{key}".encode()).hexdigest()
    with stripe_sandbox.sandbox.lock:
        return stripe_sandbox.sandbox.store.get("idempotency", record_id)


def _session_count(stripe_sandbox) -> int:
    with stripe_sandbox.sandbox.lock:
        return len(stripe_sandbox.sandbox.store.collection("sessions"))


def _create(order: Order, **urls) -> gateway.CheckoutSession:
    """Ask for the session of the order's current attempt, as checkout does."""
    request = gateway.session_request(
        order,
        order.payment_attempts,
        line_items=payment_line_items(order),
        success_url=urls.get("success_url", SUCCESS_URL),
        cancel_url=urls.get("cancel_url", _cancel_url(order)),
    )
    db.session.commit()
    return gateway.create_checkout_session(request)


def _placed_order(shop) -> Order:
    edition = make_book("Murder at the Dacha", on_hand=5).editions[0]
    cart = helpers.make_cart((edition, 2))
    order = helpers.place(cart, now=utcnow())
    order.payment_attempts = 1
    db.session.commit()
    return order


def test_the_same_attempt_asked_twice_gets_the_same_session(shop, stripe_sandbox):
    with shop.app_context():
        order = _placed_order(shop)
        first = _create(order)
        # A retry of the very same request (e.g. the answer was lost on the network).
        again = _create(order)
        assert again.id == first.id
        assert again.url == first.url
        assert _session_count(stripe_sandbox) == 1
        assert _stored_key(stripe_sandbox, f"order-{order.reference}-attempt-1-session")


def test_the_next_attempt_gets_a_new_session(shop, stripe_sandbox):
    with shop.app_context():
        order = _placed_order(shop)
        first = _create(order)
        order.payment_attempts += 1
        db.session.commit()
        second = _create(order)
        assert second.id != first.id
        assert second.amount_total == first.amount_total == order.total_cents
        assert second.client_reference_id == order.reference
        assert _session_count(stripe_sandbox) == 2
        assert _stored_key(stripe_sandbox, f"order-{order.reference}-attempt-2-session")
        # Asking for attempt 2 again still gives attempt 2's session, not a third.
        repeated = _create(order)
        assert repeated.id == second.id
        assert _session_count(stripe_sandbox) == 2


def test_each_order_has_its_own_keys(shop, stripe_sandbox):
    with shop.app_context():
        one, other = _placed_order(shop), _placed_order(shop)
        assert one.reference != other.reference
        sessions = {_create(order).id for order in (one, other)}
        assert len(sessions) == 2


def test_the_shops_own_checkout_request_repeated_returns_its_session(shop, buyer, stripe_sandbox):
    """Re-sending the request the Pay button made (same order, same attempt) is harmless."""
    with shop.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=5).editions[0].id
        db.session.commit()
    checkout = buyer.checkout(edition_id)
    with shop.app_context():
        order = db.session.query(Order).filter_by(reference=checkout.reference).one()
        assert order.payment_attempts == 1
        made = stripe_sandbox.client().v1.checkout.sessions.retrieve(checkout.session_id)
        repeated = _create(order, success_url=made.success_url, cancel_url=made.cancel_url)
        assert repeated.id == checkout.session_id
        assert _session_count(stripe_sandbox) == 1
