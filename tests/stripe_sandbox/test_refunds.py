"""Refunds through the SDK: full, partial, over-refunding refused, and the charge.refunded event."""

import pytest
import stripe


@pytest.fixture
def paid_intent(api, new_session, stripe_sandbox):
    """The PaymentIntent id of a paid $44.98 session."""
    session = new_session()
    assert stripe_sandbox.pay(session.id).status == 303
    return api.v1.checkout.sessions.retrieve(session.id).payment_intent


def test_full_refund_refunds_the_whole_charge(api, paid_intent, stripe_sandbox):
    refund = api.v1.refunds.create(
        {
            "payment_intent": paid_intent,
            "reason": "requested_by_customer",
            "metadata": {"order_id": "42"},
        }
    )

    assert refund.id.startswith("re_")
    assert refund.object == "refund"
    assert (refund.amount, refund.currency, refund.status) == (4498, "usd", "succeeded")
    assert refund.payment_intent == paid_intent
    assert refund.reason == "requested_by_customer"
    assert refund.metadata.to_dict() == {"order_id": "42"}
    event = stripe_sandbox.events("charge.refunded")[0]
    charge = event["data"]["object"]
    assert (charge["amount_refunded"], charge["refunded"]) == (4498, True)
    assert event["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}


def test_partial_refunds_add_up_and_the_rest_can_still_be_refunded(api, paid_intent):
    api.v1.refunds.create({"payment_intent": paid_intent, "amount": 1000})
    api.v1.refunds.create({"payment_intent": paid_intent, "amount": 498})

    last = api.v1.refunds.create({"payment_intent": paid_intent})

    assert last.amount == 3000
    charge = api.v1.charges.retrieve(api.v1.payment_intents.retrieve(paid_intent).latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (4498, True)
    assert len(api.v1.refunds.list({"payment_intent": paid_intent}).data) == 3


def test_refund_is_retrieved_and_expanded(api, paid_intent):
    refund = api.v1.refunds.create({"payment_intent": paid_intent, "amount": 500})

    again = api.v1.refunds.retrieve(refund.id, {"expand": ["charge"]})

    assert again.amount == 500
    assert again.charge.amount_refunded == 500


def test_refund_over_the_remaining_amount_is_refused(api, paid_intent):
    api.v1.refunds.create({"payment_intent": paid_intent, "amount": 4000})

    with pytest.raises(stripe.InvalidRequestError) as caught:
        api.v1.refunds.create({"payment_intent": paid_intent, "amount": 499})

    assert caught.value.http_status == 400
    assert caught.value.code == "amount_too_large"
    assert caught.value.param == "amount"
    assert "($4.99) is greater than unrefunded amount on charge ($4.98)" in (
        caught.value.user_message
    )


def test_refunding_a_fully_refunded_payment_is_refused(api, paid_intent):
    api.v1.refunds.create({"payment_intent": paid_intent})

    with pytest.raises(stripe.InvalidRequestError) as caught:
        api.v1.refunds.create({"payment_intent": paid_intent})

    assert caught.value.code == "charge_already_refunded"


def test_refunding_an_unpaid_session_is_refused(api, new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id, "4000000000000002")
    intent = api.v1.checkout.sessions.retrieve(session.id).payment_intent

    with pytest.raises(stripe.InvalidRequestError) as caught:
        api.v1.refunds.create({"payment_intent": intent})

    assert caught.value.code == "charge_not_refundable"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"payment_intent": "pi_missing"}, "payment_intent"),
        ({"amount": 0}, "amount"),
        ({"reason": "changed_my_mind"}, "reason"),
        ({"refund_everything": "yes"}, "refund_everything"),
    ],
)
def test_bad_refund_parameters_are_refused(api, paid_intent, params, param):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        api.v1.refunds.create({"payment_intent": paid_intent, **params})

    assert caught.value.http_status == 400
    assert caught.value.param == param


def test_refund_needs_a_payment(api):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        api.v1.refunds.create({"amount": 100})

    assert caught.value.code == "parameter_missing"


def test_refund_with_idempotency_key_happens_once(api, paid_intent):
    params = {"payment_intent": paid_intent, "amount": 1000}
    first = api.v1.refunds.create(params, {"idempotency_key": "refund-42-1"})

    second = api.v1.refunds.create(params, {"idempotency_key": "refund-42-1"})

    assert second.id == first.id
    charge = api.v1.charges.retrieve(api.v1.payment_intents.retrieve(paid_intent).latest_charge)
    assert charge.amount_refunded == 1000
