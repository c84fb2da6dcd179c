"""One payment per order: one payable session at a time, and money that arrives twice goes back.

"Pay for this order" expires the earlier session at Stripe before it opens the next. If two
sessions of one order are paid anyway (one after the other, or at once), the order is paid
once and the other payment is refunded automatically, once, through Stripe; the order's
history says so. Money for an order that was given up on is refunded the same way.
"""

import threading

import pytest
from sqlalchemy import select

from bookstore.checkout import gateway, payments
from bookstore.checkout.models import Order, OrderEvent, Refund
from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from tests.checkout.shoppers import order_state
from tests.factories import make_book


def _edition(app, on_hand=5):
    with app.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=on_hand).editions[0].id
        db.session.commit()
        return edition_id


def _session(stripe_sandbox, session_id):
    return stripe_sandbox.client().v1.checkout.sessions.retrieve(session_id)


def _refunds_at_stripe(stripe_sandbox) -> list[tuple[str, int]]:
    with stripe_sandbox.sandbox.lock:
        refunds = stripe_sandbox.sandbox.store.collection("refunds").values()
        return [(r["payment_intent"], r["amount"]) for r in refunds]


def _second_session(shop, reference, monkeypatch) -> str:
    """Open a second session for the order while the first stays payable (as if Stripe had
    lost the expiry), the situation the shop must survive."""
    with shop.app_context(), monkeypatch.context() as patch:
        patch.setattr(gateway, "expire_session", lambda session_id: None)
        patch.setattr(gateway, "retrieve_session", _open_session)
        order = db.session.query(Order).filter_by(reference=reference).one()
        step = payments.open_payment(
            order,
            now=utcnow(),
            success_url="http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=f"http://shop.test/checkout/cancel/{reference}",
            config=shop.config,
        )
        assert step.kind == "stripe"
        return db.session.get(Order, order.id).stripe_session_id


def _open_session(session_id):
    return gateway.CheckoutSession(session_id, None, "open", "unpaid", None, None, None, None, None)


def test_paying_again_expires_the_first_session_before_opening_the_next(
    shop, buyer, stripe_sandbox
):
    stripe_sandbox.webhook_url = None
    checkout = buyer.checkout(_edition(shop))

    again = buyer.client.post(f"/checkout/orders/{checkout.reference}/pay")

    assert again.status_code == 303
    order = order_state(shop, checkout.reference)
    assert order.stripe_session_id != checkout.session_id
    assert order.stripe_session_id in again.headers["Location"]
    assert _session(stripe_sandbox, checkout.session_id).status == "expired"
    assert _session(stripe_sandbox, order.stripe_session_id).status == "open"
    assert stripe_sandbox.pay(checkout.session_id).status != 303  # the old tab cannot pay


def test_paying_again_after_the_first_session_was_paid_shows_the_paid_order(
    shop, buyer, stripe_sandbox
):
    stripe_sandbox.webhook_url = None  # the payment's webhook has not arrived yet
    checkout = buyer.checkout(_edition(shop))
    assert stripe_sandbox.pay(checkout.session_id).status == 303

    again = buyer.client.post(f"/checkout/orders/{checkout.reference}/pay")

    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/account/orders/{checkout.reference}")
    order = order_state(shop, checkout.reference)
    assert order.state is OrderState.PAID
    assert order.stripe_session_id == checkout.session_id
    with stripe_sandbox.sandbox.lock:
        assert len(stripe_sandbox.sandbox.store.collection("sessions")) == 1


def _assert_paid_once_and_refunded_once(shop, stripe_sandbox, reference, first, second):
    order = order_state(shop, reference)
    assert order.state is OrderState.PAID
    intents = {
        session_id: _session(stripe_sandbox, session_id).payment_intent
        for session_id in (first, second)
    }
    kept = order.stripe_payment_intent
    assert kept in intents.values()
    [stray] = [intent for intent in intents.values() if intent != kept]
    assert _refunds_at_stripe(stripe_sandbox) == [(stray, order.total_cents)]
    assert order.refunded_cents == 0
    with shop.app_context():
        [refund] = db.session.scalars(select(Refund).where(Refund.order_id == order.id)).all()
        assert (refund.stray, refund.amount_cents) == (True, order.total_cents)
        notes = db.session.scalars(
            select(OrderEvent.note).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        ).all()
    assert sum("Payment received" in note for note in notes) == 1
    assert sum(stray in note and "refunded automatically" in note for note in notes) == 1
    assert sum(note.startswith("Refunded") and stray in note for note in notes) == 1


def test_two_sessions_paid_one_after_the_other_keep_one_charge(
    shop, buyer, stripe_sandbox, monkeypatch, outbox
):
    checkout = buyer.checkout(_edition(shop))
    second = _second_session(shop, checkout.reference, monkeypatch)
    assert second != checkout.session_id

    assert stripe_sandbox.pay(checkout.session_id).status == 303
    stripe_sandbox.wait_for_webhooks()
    assert stripe_sandbox.pay(second).status == 303
    stripe_sandbox.wait_for_webhooks()
    # The success pages come back too, in any order: nothing more happens.
    for session_id in (second, checkout.session_id):
        assert buyer.client.get(f"/checkout/success?session_id={session_id}").status_code == 200
    stripe_sandbox.wait_for_webhooks()

    _assert_paid_once_and_refunded_once(
        shop, stripe_sandbox, checkout.reference, checkout.session_id, second
    )
    assert len(outbox.to("buyer@example.com")) == 1  # one confirmation


@pytest.mark.postgres
def test_two_sessions_paid_at_once_keep_one_charge(pg_app, stripe_sandbox, monkeypatch):
    from tests.checkout.shoppers import Buyer

    pg_app.config.update(
        STRIPE_API_BASE=stripe_sandbox.url, STRIPE_WEBHOOK_SECRET=stripe_sandbox.webhook_secret
    )
    stripe_sandbox.webhook_url = None  # the test settles both payments itself, at once
    buyer = Buyer(pg_app)
    checkout = buyer.checkout(_edition(pg_app))
    second = _second_session(pg_app, checkout.reference, monkeypatch)
    for session_id in (checkout.session_id, second):
        assert stripe_sandbox.pay(session_id).status == 303

    barrier = threading.Barrier(4)
    errors = []

    def settle(session_id):
        try:
            with pg_app.app_context():
                barrier.wait()
                payments.confirm_session(session_id, now=utcnow(), actor="stripe")
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [
        threading.Thread(target=settle, args=(session_id,))
        for session_id in (checkout.session_id, second, checkout.session_id, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    _assert_paid_once_and_refunded_once(
        pg_app, stripe_sandbox, checkout.reference, checkout.session_id, second
    )


@pytest.mark.parametrize("gave_up", ["cancelled", "expired"])
def test_money_for_an_order_given_up_on_is_refunded_and_ships_nothing(
    shop, buyer, stripe_sandbox, outbox, monkeypatch, gave_up
):
    stripe_sandbox.webhook_url = None
    edition = _edition(shop)
    checkout = buyer.checkout(edition, 2)
    # The buyer gives up while Stripe cannot close the session (it stays payable), or
    # Stripe's own expiry event reaches the shop first.
    if gave_up == "cancelled":
        with monkeypatch.context() as patch:
            patch.setattr(gateway, "expire_session", _stripe_down)
            patch.setattr(gateway, "retrieve_session", _stripe_down)
            assert buyer.client.get(f"/checkout/cancel/{checkout.reference}").status_code == 302
    else:
        _expire_by_webhook(shop, stripe_sandbox, checkout.session_id)
    assert order_state(shop, checkout.reference).state is OrderState(gave_up)

    # The buyer pays in the tab still open on Stripe's page; the webhook follows.
    assert stripe_sandbox.pay(checkout.session_id).status == 303
    stripe_sandbox.deliver_to_app(shop)
    for event in stripe_sandbox.events("checkout.session.completed"):
        stripe_sandbox.replay(event["id"])
    stripe_sandbox.wait_for_webhooks()

    order = order_state(shop, checkout.reference)
    assert order.state is OrderState(gave_up)
    intent = _session(stripe_sandbox, checkout.session_id).payment_intent
    assert _refunds_at_stripe(stripe_sandbox) == [(intent, order.total_cents)]
    assert outbox.to("buyer@example.com") == []  # no confirmation: nothing is sold
    with shop.app_context():
        assert db.session.scalars(select(Refund.stray)).all() == [True]


def _stripe_down(*_args):
    from bookstore.errors import PaymentServiceUnavailable

    raise PaymentServiceUnavailable("down")


def _expire_by_webhook(shop, stripe_sandbox, session_id):
    import json

    import stripe

    session = _session(stripe_sandbox, session_id)
    event = {
        "id": "evt_expired_first",
        "object": "event",
        "type": "checkout.session.expired",
        "created": stripe_sandbox.sandbox.now(),
        "data": {"object": {**session.to_dict(), "status": "expired"}},
    }
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, stripe_sandbox.webhook_secret)
    response = shop.test_client().post(
        "/stripe/webhook",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
    )
    assert response.json["outcome"] == "expired"
