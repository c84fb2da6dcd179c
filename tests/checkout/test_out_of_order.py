"""Webhooks that arrive out of order: each payment settled once, whatever the order of events.

Each test holds the stand-in's deliveries back (``webhook_url = None``: events are recorded,
not sent), makes the payment happen at the stand-in, then delivers the recorded events to the
shop in the order the test chooses.
"""

import json

import pytest
import stripe
from sqlalchemy import select

from bookstore.catalog.models import Edition, StockMovement
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from tests.checkout.shoppers import order_state
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
    # The confirmation, then the refund's own email with the amount.
    confirmation, refunded = outbox.to("buyer@example.com")
    assert confirmation["Subject"].startswith("Order confirmed")
    assert refunded["Subject"].startswith("Refund for your order")
    assert f"{order.refunded_cents / 100:.2f}" in refunded.get_body(("plain",)).get_content()


def test_a_delayed_payment_under_way_keeps_the_copies_held_for_days(shop, buyer, stripe_sandbox):
    from datetime import timedelta

    from bookstore.dbtypes import utcnow
    from bookstore.inventory.models import StockHold

    stripe_sandbox.webhook_url = None
    edition = _edition(shop)
    checkout = buyer.checkout(edition, 2)
    assert stripe_sandbox.pay(checkout.session_id, delayed=True).status == 303

    stripe_sandbox.deliver_to_app(shop)
    _deliver(stripe_sandbox, "checkout.session.completed")

    order = order_state(shop, checkout.reference)
    assert order.state is OrderState.PENDING_PAYMENT
    in_six_days = utcnow() + timedelta(days=6)
    assert order.reserved_until > in_six_days
    with shop.app_context():
        holds = db.session.scalars(select(StockHold).where(StockHold.order_id == order.id)).all()
    assert [(h.quantity, h.expires_at > in_six_days) for h in holds] == [(2, True)]
    assert _counts(shop, edition) == (5, 2)
