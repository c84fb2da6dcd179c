"""State kept across restarts in the JSON file, and sessions expiring on time."""

import json
import time

import pytest
import stripe

from bookstore.stripe_sandbox import Sandbox
from tests.fixtures.stripe import http_request
from tests.stripe_sandbox.helpers import session_params


def test_sessions_payments_and_keys_survive_a_restart(api, new_session, stripe_sandbox):
    session = api.v1.checkout.sessions.create(
        session_params(),
        {"idempotency_key": "order-42-attempt-1"},
    )
    stripe_sandbox.pay(session.id)
    secret = stripe_sandbox.webhook_secret

    stripe_sandbox.restart()

    again = api.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert again.payment_status == "paid"
    assert again.payment_intent.status == "succeeded"
    assert stripe_sandbox.webhook_secret == secret
    assert [e["type"] for e in stripe_sandbox.events()] == ["checkout.session.completed"]
    replayed = api.v1.checkout.sessions.create(
        session_params(expires_at=session.expires_at),
        {"idempotency_key": "order-42-attempt-1"},
    )
    assert replayed.id == session.id


def test_state_file_is_plain_json_replaced_atomically(tmp_path):
    path = tmp_path / "state.json"
    sandbox = Sandbox(path, webhook_secret="whsec_fixed")

    sandbox.store.save()

    assert json.loads(path.read_text())["webhook_secret"] == "whsec_fixed"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_unreadable_state_file_is_reported_clearly(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json")

    with pytest.raises(RuntimeError, match="unreadable"):
        Sandbox(path)


def test_pending_deliveries_resume_after_a_restart(make_stripe_sandbox, webhook_receiver):
    sandbox = make_stripe_sandbox(
        webhook_url="http://127.0.0.1:9/down", retry_base=30, max_attempts=5
    )
    sandbox.pay(sandbox.client().v1.checkout.sessions.create(session_params()).id)
    sandbox.server.sandbox.webhooks.set_target(webhook_receiver.url)
    store = sandbox.sandbox.store
    with sandbox.sandbox.lock:  # due now, as if the 30 s had passed while it was down
        for record in store.collection("deliveries").values():
            record["next_at"] = 0
        store.save()

    sandbox.restart()
    sandbox.wait_for_webhooks()

    assert len(webhook_receiver.received()) == 1


def test_session_past_expires_at_expires_when_read(api, new_session, stripe_sandbox):
    session = new_session()

    stripe_sandbox.sandbox.store.data["clock_offset"] = 1801  # as if 30 minutes passed
    expired = api.v1.checkout.sessions.retrieve(session.id)

    assert expired.status == "expired"
    assert [e["type"] for e in stripe_sandbox.events()] == ["checkout.session.expired"]


def test_advancing_the_clock_expires_overdue_sessions_once(new_session, stripe_sandbox):
    soon = new_session()
    later = new_session(expires_at=soon.expires_at + 3600)

    stripe_sandbox.advance_clock(1800)
    stripe_sandbox.advance_clock(60)

    states = {
        s: stripe_sandbox.sandbox.store.get("sessions", s)["status"] for s in (soon.id, later.id)
    }
    assert states == {soon.id: "expired", later.id: "open"}
    assert len(stripe_sandbox.events("checkout.session.expired")) == 1


def test_sweeper_expires_sessions_nobody_touches(new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.sandbox.store.data["clock_offset"] = 1801

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not stripe_sandbox.events():
        time.sleep(0.05)

    assert stripe_sandbox.events()[0]["data"]["object"]["id"] == session.id


def test_expired_session_cancels_a_declined_payment_intent(api, new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id, "4000000000000002")

    api.v1.checkout.sessions.expire(session.id)

    intent = api.v1.payment_intents.retrieve(
        api.v1.checkout.sessions.retrieve(session.id).payment_intent
    )
    assert intent.status == "canceled"


def test_paying_after_expiry_is_refused(new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.advance_clock(1800)

    assert stripe_sandbox.pay(session.id).status == 410


def test_test_clock_route_advances_time(stripe_sandbox, new_session):
    session = new_session()

    result = http_request(f"{stripe_sandbox.url}/_sandbox/clock", "POST", {"advance": "1800"})

    assert result.status == 200
    assert stripe_sandbox.sandbox.store.get("sessions", session.id)["status"] == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_sandbox.client().v1.checkout.sessions.expire(session.id)


def _wait_for(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_changes_reach_the_file_soon_without_a_stop(tmp_path):
    path = tmp_path / "state.json"
    store = Sandbox(path, webhook_secret="whsec_fixed").store
    store.data["clock_offset"] = 42

    store.changed()

    _wait_for(lambda: json.loads(path.read_text())["clock_offset"] == 42)
    store.close()


def test_a_burst_of_changes_is_written_once_not_once_per_change(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    store = Sandbox(path, webhook_secret="whsec_fixed").store
    writes = []
    original = store._replace_file
    monkeypatch.setattr(
        store, "_replace_file", lambda p, text: (writes.append(text), original(p, text))
    )

    for n in range(200):
        store.data["clock_offset"] = n
        store.changed()
    _wait_for(lambda: json.loads(path.read_text())["clock_offset"] == 199)

    assert 1 <= len(writes) <= 3
    store.close()


def test_close_writes_what_changed_at_once_and_stops_the_writer(tmp_path):
    path = tmp_path / "state.json"
    store = Sandbox(path, webhook_secret="whsec_fixed").store
    store.changed()
    writer = store._writer
    store.data["clock_offset"] = 7
    store.changed()

    store.close()

    assert json.loads(path.read_text())["clock_offset"] == 7
    assert writer is not None
    assert not writer.is_alive()
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
