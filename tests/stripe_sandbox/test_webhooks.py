"""Events: signed like Stripe, delivered in the background, retried with backoff, replayable."""

import json
import time

import pytest
import stripe

from bookstore.stripe_sandbox import sign
from tests.fixtures.stripe import http_request
from tests.stripe_sandbox.helpers import session_params


@pytest.fixture
def hooked(stripe_sandbox, webhook_receiver):
    """The stand-in delivering to a recording receiver."""
    stripe_sandbox.webhook_url = webhook_receiver.url
    return stripe_sandbox


def test_completed_event_is_delivered_signed_and_verifies_with_the_sdk(
    hooked, new_session, webhook_receiver
):
    session = new_session()
    hooked.pay(session.id)
    hooked.wait_for_webhooks()

    [request] = webhook_receiver.received()
    event = stripe.Webhook.construct_event(
        request["body"], request["headers"]["Stripe-Signature"], hooked.webhook_secret
    )

    assert event.type == "checkout.session.completed"
    assert event.id.startswith("evt_")
    assert event.object == "event"
    assert event.livemode is False
    assert event.api_version == stripe.api_version
    assert event.data.object.id == session.id
    assert event.data.object.payment_status == "paid"
    assert event.data.object.metadata["order_id"] == "42"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert request["headers"]["User-Agent"].startswith("Stripe/")


def test_signature_fails_with_another_secret_or_a_modified_body(
    hooked, new_session, webhook_receiver
):
    hooked.pay(new_session().id)
    hooked.wait_for_webhooks()
    [request] = webhook_receiver.received()
    header = request["headers"]["Stripe-Signature"]

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(request["body"], header, "whsec_other")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            request["body"].replace("paid", "PAID"), header, hooked.webhook_secret
        )


def test_signature_matches_the_sdks_own_signing():
    payload = json.dumps({"id": "evt_1", "object": "event"})

    header = sign(payload, "whsec_test", timestamp=1_700_000_000)

    assert header == stripe.WebhookSignature.generate_signature_header(
        payload, "whsec_test", timestamp=1_700_000_000
    )


def test_every_event_type_is_delivered(api, hooked, new_session, webhook_receiver):
    paid = new_session()
    hooked.pay(paid.id)
    delayed_ok, delayed_bad = new_session(), new_session()
    hooked.pay(delayed_ok.id, delayed=True)
    hooked.pay(delayed_bad.id, delayed=True)
    hooked.settle(delayed_ok.id, succeed=True)
    hooked.settle(delayed_bad.id, succeed=False)
    api.v1.checkout.sessions.expire(new_session().id)
    intent = api.v1.checkout.sessions.retrieve(paid.id).payment_intent
    api.v1.refunds.create({"payment_intent": intent, "amount": 100})

    hooked.wait_for_webhooks()

    types = [json.loads(r["body"])["type"] for r in webhook_receiver.received()]
    assert sorted(types) == sorted(
        [
            "checkout.session.completed",
            "checkout.session.completed",
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_failed",
            "checkout.session.expired",
            "charge.refunded",
        ]
    )


def test_failing_receiver_is_retried_with_growing_delays(
    make_stripe_sandbox, webhook_receiver, api_for
):
    sandbox = make_stripe_sandbox(
        webhook_url=webhook_receiver.url, retry_base=0.1, retry_cap=10, max_attempts=5
    )
    webhook_receiver.fail_next(3, status=500)
    session = api_for(sandbox).v1.checkout.sessions.create(_params())
    sandbox.pay(session.id)

    sandbox.wait_for_webhooks()

    attempts = sandbox.deliveries()
    assert [a["status"] for a in attempts] == [500, 500, 500, 200]
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4]
    gaps = [b["at"] - a["at"] for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] >= 0.1
    assert gaps[1] >= 0.2
    assert gaps[2] >= 0.4
    assert sandbox.events()[0]["pending_webhooks"] == 0


def test_unreachable_app_is_retried_until_the_attempts_run_out(make_stripe_sandbox, api_for):
    sandbox = make_stripe_sandbox(
        webhook_url="http://127.0.0.1:9/stripe/webhook", max_attempts=3, retry_base=0.01
    )
    session = api_for(sandbox).v1.checkout.sessions.create(_params())
    sandbox.pay(session.id)

    sandbox.wait_for_webhooks()

    attempts = sandbox.deliveries()
    assert len(attempts) == 3
    assert all(a["status"] is None and a["error"] for a in attempts)
    assert sandbox.sandbox.store.get("deliveries", attempts[0]["event_id"])["state"] == "failed"


def test_redirect_counts_as_a_failed_delivery(make_stripe_sandbox, webhook_receiver, api_for):
    sandbox = make_stripe_sandbox(webhook_url=webhook_receiver.url, max_attempts=2)
    webhook_receiver.fail_next(1, status=302)
    sandbox.pay(api_for(sandbox).v1.checkout.sessions.create(_params()).id)

    sandbox.wait_for_webhooks()

    assert [a["status"] for a in sandbox.deliveries()] == [302, 200]


def test_event_is_replayed_on_request(hooked, new_session, webhook_receiver):
    hooked.pay(new_session().id)
    hooked.wait_for_webhooks()
    event_id = hooked.events()[0]["id"]

    hooked.replay(event_id)
    hooked.wait_for_webhooks()

    bodies = [json.loads(r["body"]) for r in webhook_receiver.received()]
    assert [b["id"] for b in bodies] == [event_id, event_id]


def test_events_are_listed_newest_first_and_filtered_by_type(api, hooked, new_session):
    session = new_session()
    hooked.pay(session.id)
    api.v1.refunds.create(
        {"payment_intent": api.v1.checkout.sessions.retrieve(session.id).payment_intent}
    )

    listed = api.v1.events.list()
    refunds = api.v1.events.list({"type": "charge.refunded"})
    checkout_events = api.v1.events.list({"type": "checkout.session.*"})
    one = api.v1.events.retrieve(listed.data[1].id)

    assert [e.type for e in listed.data] == ["charge.refunded", "checkout.session.completed"]
    assert [e.type for e in refunds.data] == ["charge.refunded"]
    assert [e.type for e in checkout_events.data] == ["checkout.session.completed"]
    assert one.data.object.id == session.id
    assert listed.data[0].request.id.startswith("req_")


def test_events_without_a_webhook_url_are_recorded_but_not_sent(stripe_sandbox, new_session):
    stripe_sandbox.pay(new_session().id)

    assert stripe_sandbox.events()[0]["pending_webhooks"] == 0
    assert stripe_sandbox.deliveries() == []


def test_deliveries_can_go_to_a_callable(stripe_sandbox, new_session):
    received = []
    stripe_sandbox.webhook_url = lambda body, headers: received.append((body, headers)) or 200

    stripe_sandbox.pay(new_session().id)
    stripe_sandbox.wait_for_webhooks()

    body, headers = received[0]
    event = stripe.Webhook.construct_event(
        body, headers["Stripe-Signature"], stripe_sandbox.webhook_secret
    )
    assert event.type == "checkout.session.completed"


def test_replaying_an_unknown_event_is_404(stripe_sandbox):
    result = http_request(f"{stripe_sandbox.url}/_sandbox/events/evt_nope/replay", "POST", {})

    assert result.status == 404


def _params():
    return session_params(expires_at=int(time.time()) + 1800)


@pytest.fixture
def api_for():
    """The SDK pointed at a given stand-in handle."""
    return lambda handle: handle.client()
