"""POST /stripe/webhook: signatures checked, each event handled once, in any order."""

import json
import threading
import time

import pytest
import stripe
from sqlalchemy import func, select

from bookstore.catalog.models import StockMovement
from bookstore.checkout.models import Order, ProcessedStripeEvent
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from tests.checkout.shoppers import Buyer, order_state
from tests.factories import make_book

SECRET = "whsec_test_secret"


def _event(event_type="checkout.session.completed", obj=None, event_id="evt_test_1"):
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": obj or {"id": "cs_test_unknown", "object": "checkout.session"}},
        }
    )


def _post(client, body, header):
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return client.post("/stripe/webhook", data=body, headers=headers)


def _processed(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ProcessedStripeEvent))


@pytest.fixture
def hook_app(make_app):
    return make_app(STRIPE_WEBHOOK_SECRET=SECRET)


def test_a_correctly_signed_event_is_accepted(hook_app):
    body = _event("customer.created")
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    response = _post(hook_app.test_client(), body, header)
    assert response.status_code == 200
    assert response.json["outcome"] == "ignored"


@pytest.mark.parametrize(
    "case", ["missing", "wrong secret", "modified body", "stale timestamp", "garbage header"]
)
def test_a_bad_signature_is_refused_and_changes_nothing(hook_app, case):
    body = _event(obj={"id": "cs_test_1", "object": "checkout.session", "payment_status": "paid"})
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    if case == "missing":
        header = None
    elif case == "wrong secret":
        header = stripe.WebhookSignature.generate_signature_header(body, "whsec_other")
    elif case == "modified body":
        body = body.replace("paid", "PAID")
    elif case == "stale timestamp":
        header = stripe.WebhookSignature.generate_signature_header(
            body, SECRET, timestamp=int(time.time()) - 301
        )
    elif case == "garbage header":
        header = "t=abc,v1=zzz"
    response = _post(hook_app.test_client(), body, header)
    assert response.status_code == 400
    assert _processed(hook_app) == 0


def test_a_signed_body_that_is_not_json_is_refused(hook_app):
    body = "{not json"
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    assert _post(hook_app.test_client(), body, header).status_code == 400
    assert _processed(hook_app) == 0


@pytest.mark.parametrize("body", ["[1, 2]", '"event"'])
def test_a_signed_body_that_is_json_but_not_an_event_object_is_refused(hook_app, body):
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    answer = _post(hook_app.test_client(), body, header)
    assert answer.status_code == 400
    assert answer.get_json() == {"error": "Invalid payload."}
    assert _processed(hook_app) == 0


def test_a_body_that_is_not_utf8_is_refused(hook_app):
    body = b'{"id": "evt_\xff"}'
    header = stripe.WebhookSignature.generate_signature_header(body.decode("latin-1"), SECRET)
    assert _post(hook_app.test_client(), body, header).status_code == 400
    assert _processed(hook_app) == 0


def test_without_a_configured_secret_every_webhook_is_refused(make_app):
    app = make_app(STRIPE_WEBHOOK_SECRET=None)
    body = _event("customer.created")
    header = stripe.WebhookSignature.generate_signature_header(body, "whsec_any")
    assert _post(app.test_client(), body, header).status_code == 400


def test_the_webhook_needs_no_csrf_token_while_forms_do(make_app):
    app = make_app(STRIPE_WEBHOOK_SECRET=SECRET, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    body = _event("customer.created")
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    assert _post(client, body, header).status_code == 200
    assert client.post("/checkout/place", data={"quote": "x"}).status_code == 400


def _paid_checkout(shop, stripe_sandbox):
    with shop.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=5).editions[0].id
        db.session.commit()
    checkout = Buyer(shop).checkout(edition_id)
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    [completed] = stripe_sandbox.events("checkout.session.completed")
    return checkout, completed


def _signed(stripe_sandbox, event: dict) -> tuple[str, str]:
    body = json.dumps(event)
    return body, stripe.WebhookSignature.generate_signature_header(
        body, stripe_sandbox.webhook_secret
    )


def _sales(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(StockMovement).where(StockMovement.reason == "sale")
        )


def test_a_replayed_event_does_nothing_more(shop, stripe_sandbox, outbox):
    checkout, completed = _paid_checkout(shop, stripe_sandbox)
    for _ in range(3):
        stripe_sandbox.replay(completed["id"])
    stripe_sandbox.wait_for_webhooks()
    body, header = _signed(stripe_sandbox, completed)
    response = _post(shop.test_client(), body, header)
    assert response.json["outcome"] == "duplicate"
    assert order_state(shop, checkout.reference).state is OrderState.PAID
    assert _sales(shop) == 1
    assert len(outbox) == 1


def test_the_same_payment_under_another_event_id_is_still_fulfilled_once(
    shop, stripe_sandbox, outbox
):
    checkout, completed = _paid_checkout(shop, stripe_sandbox)
    again = {**completed, "id": "evt_another_delivery"}
    body, header = _signed(stripe_sandbox, again)
    response = _post(shop.test_client(), body, header)
    assert response.status_code == 200
    assert response.json["outcome"].startswith("no change")
    assert _sales(shop) == 1
    assert len(outbox) == 1


def test_an_expiry_arriving_after_the_payment_changes_nothing(shop, stripe_sandbox):
    checkout, completed = _paid_checkout(shop, stripe_sandbox)
    late = {
        **completed,
        "id": "evt_late_expiry",
        "type": "checkout.session.expired",
    }
    late["data"] = {"object": {**completed["data"]["object"], "status": "expired"}}
    body, header = _signed(stripe_sandbox, late)
    assert _post(shop.test_client(), body, header).status_code == 200
    assert order_state(shop, checkout.reference).state is OrderState.PAID


def test_an_event_for_a_session_we_do_not_know_is_acknowledged(shop, stripe_sandbox):
    body, header = _signed(
        stripe_sandbox,
        json.loads(_event(obj={"id": "cs_test_elsewhere", "object": "checkout.session"})),
    )
    response = _post(shop.test_client(), body, header)
    assert response.status_code == 200
    assert response.json["outcome"] == "unknown order"


def test_when_stripe_cannot_be_asked_the_webhook_fails_so_stripe_retries(make_app, stripe_sandbox):
    app = make_app(
        STRIPE_API_BASE=stripe_sandbox.url,
        STRIPE_WEBHOOK_SECRET=stripe_sandbox.webhook_secret,
        STRIPE_TIMEOUT_SECONDS=2,
    )
    stripe_sandbox.webhook_url = None
    with app.app_context():
        edition_id = make_book(on_hand=5).editions[0].id
        db.session.commit()
    checkout = Buyer(app).checkout(edition_id)
    stripe_sandbox.pay(checkout.session_id)
    [completed] = stripe_sandbox.events("checkout.session.completed")
    stripe_sandbox.stop()
    body, header = _signed(stripe_sandbox, completed)
    response = _post(app.test_client(), body, header)
    assert response.status_code == 503
    assert _processed(app) == 0
    assert order_state(app, checkout.reference).state is OrderState.PENDING_PAYMENT


@pytest.mark.postgres
def test_concurrent_deliveries_of_one_event_fulfil_once(pg_app, stripe_sandbox, tmp_path):
    pg_app.config.update(
        STRIPE_API_BASE=stripe_sandbox.url,
        STRIPE_WEBHOOK_SECRET=stripe_sandbox.webhook_secret,
    )
    stripe_sandbox.webhook_url = None
    with pg_app.app_context():
        edition_id = make_book(on_hand=5).editions[0].id
        db.session.commit()
    checkout = Buyer(pg_app).checkout(edition_id)
    stripe_sandbox.pay(checkout.session_id)
    [completed] = stripe_sandbox.events("checkout.session.completed")
    body, header = _signed(stripe_sandbox, completed)
    barrier = threading.Barrier(6)
    statuses = []

    def deliver():
        client = pg_app.test_client()
        barrier.wait()
        statuses.append(_post(client, body, header).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == [200] * 6
    assert _processed(pg_app) == 1
    assert _sales(pg_app) == 1
    with pg_app.app_context():
        assert db.session.scalars(select(Order.state)).one() is OrderState.PAID
