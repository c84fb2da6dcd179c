"""Signing up for the digest: double opt-in, same answer for everyone, one-click unsubscribe."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bookstore.digest import services
from bookstore.digest.models import Subscriber, SubscriberStatus
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from tests.digest.helpers import NOW, link_path, make_subscriber
from tests.fixtures.mail import text_body


def subscriber(app, email):
    with app.app_context():
        return db.session.scalar(select(Subscriber).where(Subscriber.email == email))


def test_sign_up_sends_a_confirmation_link_and_subscribes_nobody_yet(app, client, outbox):
    response = client.post("/digest/subscribe", data={"email": "Reader@Example.com"})
    assert response.status_code == 200
    assert "Check your inbox" in response.text
    [message] = outbox
    assert message["To"] == "reader@example.com"
    assert "Confirm" in message["Subject"]
    assert subscriber(app, "reader@example.com").status is SubscriberStatus.PENDING


def test_following_the_confirmation_link_confirms(app, client, outbox):
    client.post("/digest/subscribe", data={"email": "reader@example.com"})
    path = link_path(text_body(outbox[0]), "/digest/confirm/")
    response = client.get(path)
    assert response.status_code == 200
    assert "You're subscribed" in response.text
    assert subscriber(app, "reader@example.com").status is SubscriberStatus.CONFIRMED


def test_a_tampered_confirmation_link_is_refused_clearly(client):
    response = client.get("/digest/confirm/not-a-real-token")
    assert response.status_code == 400
    assert "not valid" in response.text


def test_an_expired_confirmation_link_says_so(app_ctx, monkeypatch):
    pending = make_subscriber("late@example.com", status=SubscriberStatus.PENDING)
    token = services.confirmation_token(pending)
    # Any age is too old when the allowed age is below zero.
    monkeypatch.setattr(services, "CONFIRM_MAX_AGE", timedelta(seconds=-1))
    with pytest.raises(InvalidInput, match="expired"):
        services.confirm(token, NOW)


def test_already_subscribed_address_gets_the_same_answer_and_no_email(app, client, outbox):
    with app.app_context():
        make_subscriber("fan@example.com")
        db.session.commit()
    response = client.post("/digest/subscribe", data={"email": "fan@example.com"})
    fresh = client.post("/digest/subscribe", data={"email": "new@example.com"})
    assert response.status_code == fresh.status_code == 200
    assert response.text == fresh.text
    assert outbox.to("fan@example.com") == []


def test_asking_twice_in_a_row_sends_one_confirmation(client, outbox):
    client.post("/digest/subscribe", data={"email": "twice@example.com"})
    client.post("/digest/subscribe", data={"email": "twice@example.com"})
    assert len(outbox.to("twice@example.com")) == 1


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b", "x" * 250 + "@example.com"])
def test_a_bad_address_is_refused_with_a_message(client, outbox, email):
    response = client.post("/digest/subscribe", data={"email": email})
    assert response.status_code == 400
    assert 'class="form-errors"' in response.text
    assert len(outbox) == 0


def test_the_sign_up_page_has_the_form(client):
    response = client.get("/digest/")
    assert response.status_code == 200
    assert 'action="/digest/subscribe"' in response.text
    assert '<label for="email">' in response.text


def test_unsubscribe_page_asks_before_unsubscribing(app, client):
    with app.app_context():
        token = make_subscriber("fan@example.com").unsubscribe_token
        db.session.commit()
    response = client.get(f"/digest/unsubscribe/{token}")
    assert response.status_code == 200
    assert "<button" in response.text
    assert subscriber(app, "fan@example.com").status is SubscriberStatus.CONFIRMED


def test_one_click_unsubscribe_post_needs_no_login_and_works_twice(app, client):
    with app.app_context():
        token = make_subscriber("fan@example.com").unsubscribe_token
        db.session.commit()
    for _ in range(2):
        response = client.post(
            f"/digest/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
        )
        assert response.status_code == 200
    assert "You're unsubscribed" in response.text
    assert subscriber(app, "fan@example.com").status is SubscriberStatus.UNSUBSCRIBED


def test_unknown_unsubscribe_token_gets_a_clear_404(client):
    assert client.get("/digest/unsubscribe/nope").status_code == 404
    response = client.post("/digest/unsubscribe/nope")
    assert response.status_code == 404
    assert "not valid" in response.text


def test_signing_up_again_after_unsubscribing_needs_a_new_confirmation(app, client, outbox):
    with app.app_context():
        make_subscriber("back@example.com", status=SubscriberStatus.UNSUBSCRIBED)
        db.session.commit()
    client.post("/digest/subscribe", data={"email": "back@example.com"})
    assert subscriber(app, "back@example.com").status is SubscriberStatus.PENDING
    assert len(outbox.to("back@example.com")) == 1


def test_unsubscribe_service_refuses_a_missing_token(app_ctx):
    with pytest.raises(NotFound):
        services.unsubscribe("", NOW)


def test_with_csrf_on_sign_up_needs_a_token_but_one_click_unsubscribe_does_not(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        token = make_subscriber("fan@example.com").unsubscribe_token
        db.session.commit()
    client = app.test_client()
    assert client.post("/digest/subscribe", data={"email": "x@example.com"}).status_code == 400
    assert subscriber(app, "x@example.com") is None
    response = client.post(
        f"/digest/unsubscribe/{token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert subscriber(app, "fan@example.com").status is SubscriberStatus.UNSUBSCRIBED


def test_sign_up_is_rate_limited_per_network(make_app):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    codes = [
        client.post("/digest/subscribe", data={"email": f"r{n}@example.com"}).status_code
        for n in range(6)
    ]
    assert codes == [200] * 5 + [429]
