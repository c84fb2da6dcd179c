"""The hosted pay page, driven over HTTP like a buyer's browser (no JavaScript needed)."""

import re

import pytest

from tests.fixtures.stripe import http_request


def test_pay_page_shows_the_order_and_an_accessible_card_form(new_session, stripe_sandbox):
    session = new_session()

    page = stripe_sandbox.pay_page(session.id)

    assert page.status == 200
    assert "Stripe test stand-in -- no money moves" in page.text
    assert "Murder at the Dacha" in page.text
    assert "$44.98" in page.text
    assert page.text.count("<h1>") == 1
    for field, autocomplete in [
        ("card_number", "cc-number"),
        ("card_expiry", "cc-exp"),
        ("card_cvc", "cc-csc"),
        ("card_name", "cc-name"),
    ]:
        assert f'<label for="{field}">' in page.text
        assert re.search(rf'id="{field}"[^>]*autocomplete="{autocomplete}"', page.text)
    assert 'href="http://shop.test/cart"' in page.text  # back to cancel_url
    assert "<script" not in page.text
    assert "style=" not in page.text


def test_pay_page_is_served_with_a_strict_content_security_policy(new_session, stripe_sandbox):
    session = new_session()

    result = http_request(session.url)

    assert result.status == 200
    policy = result.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert result.headers["x-content-type-options"] == "nosniff"


def test_successful_card_redirects_to_success_url_with_the_real_session_id(
    api, new_session, stripe_sandbox
):
    session = new_session()

    result = stripe_sandbox.pay(session.id, "4242 4242 4242 4242")

    assert result.status == 303
    assert result.location == f"http://shop.test/checkout/success?session_id={session.id}"
    paid = api.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details.email == "buyer@example.com"
    assert paid.customer_details.name == "Test Buyer"


def test_buyer_types_the_email_when_the_shop_gave_none(api, new_session, stripe_sandbox):
    session = new_session(customer_email=None)
    assert 'id="email"' in stripe_sandbox.pay_page(session.id).text

    stripe_sandbox.pay(session.id, email="guest@example.org")

    paid = api.v1.checkout.sessions.retrieve(session.id)
    assert paid.customer_details.email == "guest@example.org"


def test_declined_card_shows_the_message_and_the_buyer_can_retry(api, new_session, stripe_sandbox):
    session = new_session()

    declined = stripe_sandbox.pay(session.id, "4000 0000 0000 0002")

    assert declined.status == 402
    assert "Your card was declined." in declined.text
    assert 'role="alert"' in declined.text
    still_open = api.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert (still_open.status, still_open.payment_status) == ("open", "unpaid")
    assert still_open.payment_intent.status == "requires_payment_method"
    assert still_open.payment_intent.last_payment_error.decline_code == "generic_decline"
    assert stripe_sandbox.events() == []

    retried = stripe_sandbox.pay(session.id, "4242424242424242")

    assert retried.status == 303
    paid = api.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert paid.payment_status == "paid"
    assert paid.payment_intent.id == still_open.payment_intent.id
    assert [e["type"] for e in stripe_sandbox.events()] == ["checkout.session.completed"]


def test_insufficient_funds_is_refused_with_its_own_message(api, new_session, stripe_sandbox):
    session = new_session()

    result = stripe_sandbox.pay(session.id, "4000000000009995")

    assert result.status == 402
    assert "Your card has insufficient funds." in result.text
    intent = api.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert intent.payment_intent.last_payment_error.decline_code == "insufficient_funds"
    assert stripe_sandbox.pay(session.id).status == 303


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ("4000000000000069", "Your card has expired."),
        ("4000000000000127", "Your card's security code is incorrect."),
        ("4000000000000119", "An error occurred while processing your card."),
        ("4012888888881881", "use a Stripe test card"),
    ],
)
def test_other_test_cards_are_declined_with_stripes_messages(
    new_session, stripe_sandbox, card, message
):
    result = stripe_sandbox.pay(new_session().id, card)

    assert result.status == 402
    assert message in result.text.replace("&#39;", "'")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"card": ""}, "Enter your card number."),
        ({"card": "4242"}, "Your card number is incomplete."),
        ({"card": "4242424242424241"}, "Your card number is invalid."),
        ({"expiry": "13 / 30"}, "expiration month is invalid"),
        ({"expiry": "01 / 20"}, "expiration date is in the past"),
        ({"expiry": "soon"}, "Enter the expiry date as MM / YY."),
        ({"cvc": "12"}, "security code is incomplete"),
        ({"name": ""}, "Enter the name on the card."),
    ],
)
def test_invalid_fields_are_explained_next_to_the_field(
    new_session, stripe_sandbox, fields, message
):
    session = new_session()

    result = stripe_sandbox.pay(session.id, **fields)

    assert result.status == 422
    assert message in result.text.replace("&#39;", "'")
    assert 'aria-invalid="true"' in result.text
    assert stripe_sandbox.sandbox.store.get("sessions", session.id)["payment_intent"] is None


def test_missing_email_is_refused_when_the_shop_gave_none(new_session, stripe_sandbox):
    result = stripe_sandbox.pay(new_session(customer_email=None).id, email="nobody")

    assert result.status == 422
    assert "Enter a valid email address" in result.text


def test_delayed_payment_completes_unpaid_then_settles_as_paid(api, new_session, stripe_sandbox):
    session = new_session()

    result = stripe_sandbox.pay(session.id, delayed=True)

    assert result.status == 303
    pending = api.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert (pending.status, pending.payment_status) == ("complete", "unpaid")
    assert pending.payment_intent.status == "processing"
    completed = stripe_sandbox.events("checkout.session.completed")[0]
    assert completed["data"]["object"]["payment_status"] == "unpaid"

    settled = stripe_sandbox.settle(session.id, succeed=True)

    assert settled["payment_status"] == "paid"
    event = stripe_sandbox.events("checkout.session.async_payment_succeeded")[0]
    assert event["data"]["object"]["payment_status"] == "paid"
    intent = api.v1.payment_intents.retrieve(pending.payment_intent.id)
    assert (intent.status, intent.amount_received) == ("succeeded", 4498)


def test_delayed_payment_that_fails_leaves_the_session_unpaid(api, new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id, delayed=True)

    stripe_sandbox.settle(session.id, succeed=False)

    failed = api.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert (failed.status, failed.payment_status) == ("complete", "unpaid")
    assert failed.payment_intent.status == "requires_payment_method"
    assert [e["type"] for e in stripe_sandbox.events()] == [
        "checkout.session.completed",
        "checkout.session.async_payment_failed",
    ]


def test_settling_a_session_without_a_delayed_payment_is_refused(new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id)

    result = http_request(f"{stripe_sandbox.url}/_sandbox/sessions/{session.id}/settle", "POST", {})

    assert result.status == 400
    assert "no delayed payment" in result.json()["error"]["message"]


def test_paid_session_cannot_be_paid_twice(new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id)

    again = stripe_sandbox.pay(session.id)

    assert again.status == 200
    assert "This checkout is complete" in again.text
    assert len(stripe_sandbox.events()) == 1


def test_expired_session_page_says_so_and_links_back(api, new_session, stripe_sandbox):
    session = new_session()
    api.v1.checkout.sessions.expire(session.id)

    page = stripe_sandbox.pay_page(session.id)
    paying = stripe_sandbox.pay(session.id)

    assert page.status == paying.status == 410
    assert "This checkout has expired" in page.text
    assert 'href="http://shop.test/cart"' in page.text


def test_unknown_session_page_is_404(stripe_sandbox):
    assert stripe_sandbox.pay_page("cs_test_nope").status == 404


def test_dashboard_lists_sessions_with_settle_buttons(new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id, delayed=True)

    page = http_request(f"{stripe_sandbox.url}/_sandbox/")

    assert page.status == 200
    assert "Settle: succeeds" in page.text
    assert "checkout.session.completed" in page.text


def test_dashboard_buttons_return_to_the_dashboard(new_session, stripe_sandbox):
    session = new_session()
    stripe_sandbox.pay(session.id, delayed=True)

    result = http_request(
        f"{stripe_sandbox.url}/_sandbox/sessions/{session.id}/settle",
        "POST",
        {"outcome": "failed", "next": "dashboard"},
    )

    assert result.status == 303
    assert result.location.endswith("/_sandbox/")


def test_forms_posted_from_another_site_are_refused(new_session, stripe_sandbox):
    session = new_session()
    form = {
        "card_number": "4242424242424242",
        "card_expiry": "12/34",
        "card_cvc": "123",
        "card_name": "Mallory",
    }

    forged = http_request(
        f"{stripe_sandbox.url}/c/pay/{session.id}",
        "POST",
        form,
        headers={"Origin": "http://evil.test"},
    )
    cross_site = http_request(
        f"{stripe_sandbox.url}/_sandbox/clock",
        "POST",
        {"advance": "9"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )

    assert forged.status == cross_site.status == 403
    assert stripe_sandbox.sandbox.store.get("sessions", session.id)["status"] == "open"


def test_requests_for_a_foreign_host_name_are_refused(stripe_sandbox):
    """A DNS-rebinding page would reach the stand-in under its own host name."""
    page = http_request(f"{stripe_sandbox.url}/_sandbox/", headers={"Host": "evil.test"})
    api = http_request(
        f"{stripe_sandbox.url}/v1/events",
        headers={"Host": "evil.test:80", "Authorization": "Bearer sk_test_x1234567"},
    )

    assert page.status == api.status == 403
    assert api.json()["error"]["type"] == "invalid_request_error"
