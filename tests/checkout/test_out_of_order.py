"""Webhooks that arrive out of order, and money that arrives for an order we gave up on.

Each test holds the stand-in's deliveries back (``webhook_url = None``: events are recorded,
not sent), makes the payment happen at the stand-in, then delivers the recorded events to the
shop in the order the test chooses.
"""

import json

import pytest
import stripe
from sqlalchemy import select

from bookstore.catalog.models import Edition, StockMovement
from bookstore.checkout import gateway
from bookstore.checkout.states import OrderState
from bookstore.errors import PaymentServiceUnavailable
from bookstore.extensions import db
from tests.checkout.conftest import order_state
from tests.factories import make_book


def _edition(app, on_hand=5):
    with app.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=on_hand).editions[0].id
        db.session.commit()
        return edition_id


def _counts(app, edition_id):
    with app.app_context():
        edition = db.session.get(Edition, edition_id)
        return edition.on_hand, edition.reserved


def _sales(app) -> list[tuple[int, int]]:
    with app.app_context():
        return [
            (m.edition_id, m.delta)
            for m in db.session.scalars(select(StockMovement).where(StockMovement.reason == "sale"))
        ]


def _moves(order) -> list[tuple[str | None, str]]:
    return [(e.from_state, e.to_state) for e in sorted(order.events, key=lambda e: e.id)]


def _deliver(stripe_sandbox, *event_types):
    """Deliver the recorded events of these types, one at a time, in this order."""
    for event_type in event_types:
        events = stripe_sandbox.events(event_type)
        assert events, f"the stand-in recorded no {event_type} event"
        for event in events:
            stripe_sandbox.replay(event["id"])
            stripe_sandbox.wait_for_webhooks()


def _outcomes(stripe_sandbox) -> list[tuple[str, int | None]]:
    return [(d["type"], d["status"]) for d in stripe_sandbox.deliveries()]


def _post_signed(app, stripe_sandbox, event: dict):
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, stripe_sandbox.webhook_secret)
    return app.test_client().post(
        "/stripe/webhook",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
    )


# -- Money for an order that is already cancelled or expired --------------------------------


def _cancel_while_stripe_cannot_close_the_session(buyer, checkout, monkeypatch):
    """The buyer comes back from Stripe and cancels; expiring the Stripe session fails (Stripe
    hiccups just then), so the session stays payable in the buyer's other tab."""

    def stripe_is_down(session_id):
        raise PaymentServiceUnavailable("down")

    with monkeypatch.context() as patch:
        patch.setattr(gateway, "expire_session", stripe_is_down)
        response = buyer.client.get(f"/checkout/cancel/{checkout.reference}")
    assert response.status_code == 302


def _expire_by_webhook(shop, checkout, stripe_sandbox):
    """A (signed) ``checkout.session.expired`` for the session reaches the shop first."""
    with shop.app_context():
        session = stripe_sandbox.client().v1.checkout.sessions.retrieve(checkout.session_id)
    event = {
        "id": "evt_expired_first",
        "object": "event",
        "type": "checkout.session.expired",
        "created": stripe_sandbox.sandbox.now(),
        "data": {"object": {**session.to_dict(), "status": "expired"}},
    }
    response = _post_signed(shop, stripe_sandbox, event)
    assert response.status_code == 200
    assert response.json["outcome"] == "expired"


@pytest.mark.parametrize("gave_up", ["cancelled", "expired"])
def test_money_for_a_cancelled_or_expired_order_holds_it_for_review_and_ships_nothing(
    shop, buyer, stripe_sandbox, outbox, monkeypatch, gave_up
):
    stripe_sandbox.webhook_url = None
    edition = _edition(shop)
    checkout = buyer.checkout(edition, 2)
    if gave_up == "cancelled":
        _cancel_while_stripe_cannot_close_the_session(buyer, checkout, monkeypatch)
    else:
        _expire_by_webhook(shop, checkout, stripe_sandbox)
    given_up = order_state(shop, checkout.reference)
    assert given_up.state is OrderState(gave_up)
    assert _counts(shop, edition) == (5, 0)

    # The buyer pays in the tab still open on Stripe's page; the webhook follows.
    paid = stripe_sandbox.pay(checkout.session_id)
    assert paid.status == 303
    stripe_sandbox.deliver_to_app(shop)
    _deliver(stripe_sandbox, "checkout.session.completed")

    held = order_state(shop, checkout.reference)
    assert held.state is OrderState.NEEDS_REVIEW
    assert held.review_reason == f"Paid after the order was {gave_up}."
    session = stripe_sandbox.client().v1.checkout.sessions.retrieve(checkout.session_id)
    assert session.payment_status == "paid"
    assert held.stripe_payment_intent == session.payment_intent
    assert held.paid_at is None

    # The same money reported again (replay, another event id, the success page) changes
    # nothing: still one review, nothing sold, nothing held, no confirmation.
    _deliver(stripe_sandbox, "checkout.session.completed")
    [completed] = stripe_sandbox.events("checkout.session.completed")
    again = _post_signed(shop, stripe_sandbox, {**completed, "id": "evt_same_money_again"})
    assert again.status_code == 200
    assert buyer.follow(paid.location).status_code == 200

    final = order_state(shop, checkout.reference)
    assert final.state is OrderState.NEEDS_REVIEW
    assert _moves(final).count((gave_up, "needs_review")) == 1
    assert ("pending_payment", "paid") not in _moves(final)
    assert _sales(shop) == []
    assert _counts(shop, edition) == (5, 0)
    assert final.download_links == []
    assert len(outbox) == 0


# -- Events arriving out of order ------------------------------------------------------------


def test_an_async_success_before_the_unpaid_completed_event_fulfils_once(
    shop, buyer, stripe_sandbox, outbox
):
    stripe_sandbox.webhook_url = None
    edition = _edition(shop)
    checkout = buyer.checkout(edition, 2)
    pending = stripe_sandbox.pay(checkout.session_id, delayed=True)
    assert pending.status == 303
    stripe_sandbox.settle(checkout.session_id, succeed=True)
    [completed] = stripe_sandbox.events("checkout.session.completed")
    assert completed["data"]["object"]["payment_status"] == "unpaid"

    stripe_sandbox.deliver_to_app(shop)
    _deliver(
        stripe_sandbox,
        "checkout.session.async_payment_succeeded",
        "checkout.session.completed",
    )
    assert _outcomes(stripe_sandbox) == [
        ("checkout.session.async_payment_succeeded", 200),
        ("checkout.session.completed", 200),
    ]

    order = order_state(shop, checkout.reference)
    assert order.state is OrderState.PAID
    assert order.paid_at is not None
    assert _moves(order).count(("pending_payment", "paid")) == 1
    assert _sales(shop) == [(edition, -2)]
    assert _counts(shop, edition) == (3, 0)
    assert len(outbox.to("buyer@example.com")) == 1

    # Every event once more, in yet another order: still paid once.
    _deliver(
        stripe_sandbox,
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    )
    assert order_state(shop, checkout.reference).state is OrderState.PAID
    assert _sales(shop) == [(edition, -2)]
    assert len(outbox.to("buyer@example.com")) == 1


@pytest.mark.parametrize(
    ("refund", "expected"),
    [(700, OrderState.PARTIALLY_REFUNDED), (None, OrderState.REFUNDED)],
    ids=["partial", "full"],
)
def test_a_refund_that_overtakes_the_payment_event_is_applied_after_one_fulfilment(
    shop, buyer, stripe_sandbox, outbox, refund, expected
):
    stripe_sandbox.webhook_url = None
    edition = _edition(shop)
    checkout = buyer.checkout(edition)
    assert stripe_sandbox.pay(checkout.session_id).status == 303
    client = stripe_sandbox.client()
    intent = client.v1.checkout.sessions.retrieve(checkout.session_id).payment_intent
    params = {"payment_intent": intent}
    if refund is not None:
        params["amount"] = refund
    client.v1.refunds.create(params)

    stripe_sandbox.deliver_to_app(shop)
    _deliver(stripe_sandbox, "charge.refunded", "checkout.session.completed")

    order = order_state(shop, checkout.reference)
    assert (order.state, order.refunded_cents) == (expected, refund or order.total_cents)
    assert order.stripe_payment_intent == intent
    assert _moves(order).count(("pending_payment", "paid")) == 1
    assert _sales(shop) == [(edition, -1)]
    assert len(outbox.to("buyer@example.com")) == 1
