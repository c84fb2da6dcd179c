"""Checkout Sessions through the real SDK over HTTP: create, retrieve, expand, items, expire."""

import time

import pytest
import stripe

from tests.stripe_sandbox.helpers import session_params


def test_created_session_has_stripes_shape(new_session, stripe_sandbox):
    session = new_session()

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.amount_subtotal == session.amount_total == 2 * 1999 + 500
    assert session.currency == "usd"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert session.payment_intent is None  # created when the buyer pays, as in Stripe
    assert session.url == f"{stripe_sandbox.url}/c/pay/{session.id}"
    assert session.metadata.to_dict() == {"order_id": "42"}
    assert session.client_reference_id == "order-42"
    assert session.customer_email == "buyer@example.com"
    assert session.customer_details is None
    assert session.livemode is False
    assert session.mode == "payment"
    assert abs(session.created - time.time()) < 5
    assert session.success_url.endswith("{CHECKOUT_SESSION_ID}")


def test_retrieve_returns_the_same_session(api, new_session):
    session = new_session()

    again = api.v1.checkout.sessions.retrieve(session.id)

    assert again.to_dict() == session.to_dict()


def test_retrieve_expands_line_items_and_payment_intent(api, new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id)

    expanded = api.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["line_items", "payment_intent"]}
    )

    items = expanded.line_items
    assert items.object == "list"
    assert [(i.description, i.quantity, i.amount_total) for i in items.data] == [
        ("Murder at the Dacha", 2, 3998),
        ("Shipping", 1, 500),
    ]
    assert items.data[0].price.unit_amount == 1999
    assert expanded.payment_intent.object == "payment_intent"
    assert expanded.payment_intent.status == "succeeded"
    assert expanded.payment_intent.amount_received == 4498


def test_dotted_expansion_reaches_the_latest_charge(api, new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id)

    expanded = api.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["payment_intent.latest_charge"]}
    )

    assert expanded.payment_intent.latest_charge.object == "charge"
    assert expanded.payment_intent.latest_charge.paid is True


def test_unknown_expansion_is_refused(api, new_session):
    session = new_session()

    with pytest.raises(stripe.InvalidRequestError) as caught:
        api.v1.checkout.sessions.retrieve(session.id, {"expand": ["customer_secrets"]})

    assert caught.value.http_status == 400
    assert caught.value.param == "expand"


def test_line_items_are_listed_with_pagination(api, new_session):
    session = new_session()

    first = api.v1.checkout.sessions.line_items.list(session.id, {"limit": 1})
    rest = api.v1.checkout.sessions.line_items.list(
        session.id, {"limit": 1, "starting_after": first.data[0].id}
    )

    assert first.has_more is True
    assert first.data[0].description == "Murder at the Dacha"
    assert rest.has_more is False
    assert rest.data[0].description == "Shipping"
    assert first.url == f"/v1/checkout/sessions/{session.id}/line_items"


def test_expire_closes_an_open_session_and_emits_the_event(api, new_session, stripe_sandbox):
    session = new_session()

    expired = api.v1.checkout.sessions.expire(session.id)

    assert expired.status == "expired"
    assert expired.url is None
    event = stripe_sandbox.events("checkout.session.expired")[0]
    assert event["data"]["object"]["id"] == session.id
    assert event["data"]["object"]["status"] == "expired"


def test_expiring_a_paid_session_is_refused(api, new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id)

    with pytest.raises(stripe.InvalidRequestError) as caught:
        api.v1.checkout.sessions.expire(session.id)

    assert caught.value.http_status == 400
    assert "status of complete" in caught.value.user_message


def test_sessions_are_listed_newest_first(api, new_session):
    first = new_session()
    second = new_session()

    listed = api.v1.checkout.sessions.list({"limit": 10})

    assert [s.id for s in listed.data] == [second.id, first.id]


def test_payment_intent_is_retrieved(api, new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id)
    intent_id = api.v1.checkout.sessions.retrieve(session.id).payment_intent

    intent = api.v1.payment_intents.retrieve(intent_id)

    assert intent.id.startswith("pi_")
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 4498, 4498)
    assert intent.currency == "usd"
    assert intent.latest_charge.startswith("ch_")


def test_payment_intent_data_metadata_reaches_the_payment_intent(api, new_session, stripe_sandbox):
    session = new_session(payment_intent_data={"metadata": {"order_id": "42"}})
    stripe_sandbox.pay(session.id)

    intent = api.v1.payment_intents.retrieve(
        api.v1.checkout.sessions.retrieve(session.id).payment_intent
    )

    assert intent.metadata.to_dict() == {"order_id": "42"}


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"mode": None}, "mode"),
        ({"mode": "subscription"}, "mode"),
        ({"success_url": None}, "success_url"),
        ({"success_url": "not a url"}, "success_url"),
        ({"cancel_url": "ftp://shop.test/"}, "cancel_url"),
        ({"line_items": None}, "line_items"),
        ({"customer_email": "not-an-email"}, "customer_email"),
        ({"expires_at": "soon"}, "expires_at"),
        ({"expires_at": int(time.time()) + 600}, "expires_at"),
        ({"expires_at": int(time.time()) + 25 * 3600}, "expires_at"),
        ({"metadata": {"k" * 41: "v"}}, f"metadata[{'k' * 41}]"),
        ({"shipping_options": [{"shipping_rate": "shr_1"}]}, "shipping_options"),
        ({"client_reference_id": "x" * 201}, "client_reference_id"),
    ],
)
def test_bad_session_parameters_get_stripe_style_errors(api, overrides, param):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        api.v1.checkout.sessions.create(session_params(**overrides))

    assert caught.value.http_status == 400
    assert caught.value.param == param
    assert caught.value.error.type == "invalid_request_error"
    assert caught.value.user_message


def _item(**price_data):
    data = {"currency": "usd", "unit_amount": 1000, "product_data": {"name": "A book"}}
    data.update(price_data)
    return {"price_data": {k: v for k, v in data.items() if v is not None}, "quantity": 1}


@pytest.mark.parametrize(
    ("items", "param"),
    [
        ([_item(currency="xyz")], "line_items[0][price_data][currency]"),
        ([_item(unit_amount=-1)], "line_items[0][price_data][unit_amount]"),
        ([_item(unit_amount="12.50")], "line_items[0][price_data][unit_amount]"),
        ([_item(unit_amount=None)], "line_items[0][price_data][unit_amount]"),
        ([_item(product_data={"name": ""})], "line_items[0][price_data][product_data][name]"),
        ([_item(), _item(currency="eur")], "line_items[1][price_data][currency]"),
        ([{"price_data": _item()["price_data"]}], "line_items[0][quantity]"),
        ([{**_item(), "quantity": 0}], "line_items[0][quantity]"),
        ([{"price": "price_123", "quantity": 1}], "line_items[0][price]"),
        ([_item(unit_amount=10)], "line_items"),
    ],
)
def test_bad_line_items_name_the_offending_parameter(api, items, param):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        api.v1.checkout.sessions.create(session_params(line_items=items))

    assert caught.value.http_status == 400
    assert caught.value.param == param


def test_currency_is_accepted_in_capitals_and_answered_in_lowercase(api):
    session = api.v1.checkout.sessions.create(session_params(line_items=[_item(currency="USD")]))

    assert session.currency == "usd"


def test_session_without_expires_at_lasts_24_hours(api):
    params = session_params()
    del params["expires_at"]

    session = api.v1.checkout.sessions.create(params)

    assert session.expires_at - session.created == 24 * 3600


@pytest.mark.parametrize(
    ("kind", "call"),
    [
        ("checkout.session", lambda api: api.v1.checkout.sessions.retrieve("cs_test_nope")),
        ("checkout.session", lambda api: api.v1.checkout.sessions.expire("cs_test_nope")),
        ("payment_intent", lambda api: api.v1.payment_intents.retrieve("pi_nope")),
        ("refund", lambda api: api.v1.refunds.retrieve("re_nope")),
        ("event", lambda api: api.v1.events.retrieve("evt_nope")),
    ],
)
def test_unknown_ids_get_404_resource_missing(api, kind, call):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call(api)

    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.user_message.startswith(f"No such {kind}: ")
