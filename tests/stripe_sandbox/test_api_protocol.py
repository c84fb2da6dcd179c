"""Auth, unknown routes, parameter decoding and idempotency, as Stripe answers them."""

import pytest
import stripe

from tests.fixtures.stripe import http_request
from tests.stripe_sandbox.helpers import session_params

BEARER = {"Authorization": "Bearer sk_test_standin"}


def test_request_without_a_key_gets_401(stripe_sandbox):
    result = http_request(f"{stripe_sandbox.url}/v1/events")

    assert result.status == 401
    assert result.json()["error"]["type"] == "invalid_request_error"
    assert "You did not provide an API key" in result.json()["error"]["message"]


@pytest.mark.parametrize("key", ["pk_test_123456789", "sk_live_123456789", "nonsense"])
def test_sdk_with_a_wrong_key_gets_an_authentication_error(stripe_sandbox, key):
    client = stripe.StripeClient(
        key, base_addresses={"api": stripe_sandbox.url}, max_network_retries=0
    )

    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.events.list()

    assert caught.value.http_status == 401


def test_basic_auth_with_the_key_as_user_is_accepted(stripe_sandbox):
    import base64

    token = base64.b64encode(b"sk_test_standin:").decode()

    result = http_request(
        f"{stripe_sandbox.url}/v1/events", headers={"Authorization": f"Basic {token}"}
    )

    assert result.status == 200
    assert result.json()["object"] == "list"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/customers"), ("DELETE", "/v1/checkout/sessions"), ("POST", "/v1/events")],
)
def test_unknown_routes_get_stripes_unrecognized_url_error(stripe_sandbox, method, path):
    result = http_request(f"{stripe_sandbox.url}{path}", method, headers=BEARER)

    assert result.status == 404
    error = result.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(f"Unrecognized request URL ({method}: {path})")


def test_unknown_parameter_is_named(api):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        api.v1.events.list({"colour": "red"})

    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "colour"


def test_curl_style_expand_brackets_work(stripe_sandbox, new_session):
    session = new_session()

    result = http_request(
        f"{stripe_sandbox.url}/v1/checkout/sessions/{session.id}?expand[]=line_items",
        headers=BEARER,
    )

    assert result.status == 200
    assert result.json()["line_items"]["object"] == "list"


def test_array_with_a_gap_is_refused(stripe_sandbox):
    form = {"mode": "payment", "line_items[0][quantity]": "1", "line_items[2][quantity]": "1"}

    result = http_request(
        f"{stripe_sandbox.url}/v1/checkout/sessions", "POST", form, headers=BEARER
    )

    assert result.status == 400
    assert result.json()["error"]["param"] == "line_items"


def test_responses_carry_a_request_id(stripe_sandbox):
    result = http_request(f"{stripe_sandbox.url}/v1/events", headers=BEARER)

    assert result.status == 200
    assert result.headers["request-id"].startswith("req_")
    assert result.headers["content-type"] == "application/json"


# -- idempotency -----------------------------------------------------------------------------
def test_repeated_idempotency_key_replays_the_stored_response(stripe_sandbox, api):
    first = api.v1.checkout.sessions.create(
        session_params(), {"idempotency_key": "order-42-attempt-1"}
    )
    second = api.v1.checkout.sessions.create(
        session_params(expires_at=first.expires_at), {"idempotency_key": "order-42-attempt-1"}
    )

    assert second.id == first.id
    assert second.to_dict() == first.to_dict()
    assert len(api.v1.checkout.sessions.list().data) == 1
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert second.last_response.body == first.last_response.body


def test_replay_returns_the_original_body_even_after_the_session_changed(stripe_sandbox, api):
    params = session_params()
    first = api.v1.checkout.sessions.create(params, {"idempotency_key": "k-1"})
    stripe_sandbox.pay(first.id)

    replayed = api.v1.checkout.sessions.create(params, {"idempotency_key": "k-1"})

    assert replayed.status == "open"
    assert replayed.last_response.code == 200


def test_same_key_with_other_parameters_is_an_idempotency_error(api):
    params = session_params()
    api.v1.checkout.sessions.create(params, {"idempotency_key": "order-42-attempt-1"})

    with pytest.raises(stripe.IdempotencyError) as caught:
        api.v1.checkout.sessions.create(
            {**params, "client_reference_id": "order-43"},
            {"idempotency_key": "order-42-attempt-1"},
        )

    assert caught.value.http_status == 400
    assert caught.value.error.type == "idempotency_error"
    assert "order-42-attempt-1" in caught.value.user_message


def test_same_key_on_another_endpoint_is_an_idempotency_error(api, new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id)
    intent = api.v1.checkout.sessions.retrieve(session.id).payment_intent
    api.v1.refunds.create({"payment_intent": intent, "amount": 100}, {"idempotency_key": "k"})

    with pytest.raises(stripe.IdempotencyError):
        api.v1.checkout.sessions.expire(new_session().id, {}, {"idempotency_key": "k"})


def test_a_refused_request_stores_no_result_for_its_key(api):
    with pytest.raises(stripe.InvalidRequestError):
        api.v1.checkout.sessions.create(session_params(mode=None), {"idempotency_key": "k-2"})

    session = api.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k-2"})

    assert session.status == "open"


def test_keys_are_scoped_to_the_api_key(stripe_sandbox):
    params = session_params()
    one = stripe_sandbox.client().v1.checkout.sessions.create(params, {"idempotency_key": "k"})
    other = stripe.StripeClient(
        "sk_test_another_account", base_addresses={"api": stripe_sandbox.url}
    )

    two = other.v1.checkout.sessions.create(params, {"idempotency_key": "k"})

    assert one.id != two.id


def test_sdk_adds_its_own_key_to_each_post_so_plain_retries_create_new_sessions(api):
    first = api.v1.checkout.sessions.create(session_params())
    second = api.v1.checkout.sessions.create(session_params())

    assert first.id != second.id
