"""With CSRF protection on (as in production), a POST without its token fails and changes nothing.

Every other test module turns CSRF off for brevity; this one keeps it on.
"""

import re

import pytest
from sqlalchemy import func, select

from bookstore.accounts.models import User
from bookstore.extensions import db
from tests.factories import TEST_PASSWORD, make_user

NEW_PASSWORD = "samovar under the birch trees"


@pytest.fixture
def csrf_app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_user("anna@example.com", name="Anna Petrova")
        db.session.commit()
    return app


def token_from(client, path) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def password_hash(app) -> str:
    with app.app_context():
        return db.session.scalar(select(User.password_hash).where(User.email == "anna@example.com"))


def logged_in(client) -> bool:
    return client.get("/account/").status_code == 200


def log_in_with_token(client):
    token = token_from(client, "/account/login")
    data = {"email": "anna@example.com", "password": TEST_PASSWORD, "csrf_token": token}
    response = client.post("/account/login", data=data)
    assert response.status_code == 302
    return client


def test_login_without_a_token_fails_and_logs_nobody_in(csrf_app):
    client = csrf_app.test_client()
    response = client.post(
        "/account/login", data={"email": "anna@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert not logged_in(client)


def test_login_with_a_token_from_another_session_fails(csrf_app):
    other = csrf_app.test_client()
    stolen = token_from(other, "/account/login")
    client = csrf_app.test_client()
    client.get("/account/login")
    response = client.post(
        "/account/login",
        data={"email": "anna@example.com", "password": TEST_PASSWORD, "csrf_token": stolen},
    )
    assert response.status_code == 400
    assert not logged_in(client)


def test_login_with_the_token_succeeds(csrf_app):
    client = log_in_with_token(csrf_app.test_client())
    assert logged_in(client)


def test_signup_without_a_token_fails_and_creates_nothing(csrf_app):
    client = csrf_app.test_client()
    data = {"name": "Eve", "email": "eve@example.com", "password": NEW_PASSWORD}
    response = client.post("/account/signup", data={**data, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert user_count(csrf_app) == 1


def test_signup_with_the_token_succeeds(csrf_app):
    client = csrf_app.test_client()
    token = token_from(client, "/account/signup")
    response = client.post(
        "/account/signup",
        data={
            "name": "Eve",
            "email": "eve@example.com",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert user_count(csrf_app) == 2


def test_logout_without_a_token_fails_and_keeps_the_session(csrf_app):
    client = log_in_with_token(csrf_app.test_client())
    assert client.post("/account/logout").status_code == 400
    assert logged_in(client)


def test_logout_with_the_token_from_the_header_button_succeeds(csrf_app):
    client = log_in_with_token(csrf_app.test_client())
    token = token_from(client, "/")
    response = client.post("/account/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert not logged_in(client)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/account/password",
            {"current_password": TEST_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        ),
        ("/account/email", {"email": "eve@example.com", "password": TEST_PASSWORD}),
    ],
)
def test_account_changes_without_a_token_fail_and_change_nothing(csrf_app, path, data):
    client = log_in_with_token(csrf_app.test_client())
    before = password_hash(csrf_app)
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert password_hash(csrf_app) == before
    assert user_count(csrf_app) == 1
    assert "anna@example.com" in client.get("/account/").get_data(as_text=True)
    # And the same request with its token goes through.
    response = client.post(path, data={**data, "csrf_token": token_from(client, path)})
    assert response.status_code == 302


def test_reset_request_without_a_token_fails_and_sends_nothing(csrf_app):
    from tests.fixtures.mail import Outbox

    outbox = Outbox(csrf_app.config["MAIL_OUTBOX"])
    client = csrf_app.test_client()
    assert client.post("/account/reset", data={"email": "anna@example.com"}).status_code == 400
    assert len(outbox) == 0
    token = token_from(client, "/account/reset")
    response = client.post(
        "/account/reset", data={"email": "anna@example.com", "csrf_token": token}
    )
    assert response.status_code == 302
    assert len(outbox) == 1


def test_the_login_token_changes_when_the_user_logs_in(csrf_app):
    client = csrf_app.test_client()
    before = token_from(client, "/account/login")
    log_in_with_token_value(client, before)
    after = token_from(client, "/account/password")
    # The session was started afresh, so the pre-login token is no longer valid.
    assert before.split(".")[0] != after.split(".")[0]


def log_in_with_token_value(client, token):
    response = client.post(
        "/account/login",
        data={"email": "anna@example.com", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


def test_reads_are_never_checked_and_exempt_views_keep_their_exemption(csrf_app, monkeypatch):
    from bookstore.extensions import csrf

    checked = []
    monkeypatch.setattr(csrf, "protect", lambda **kwargs: checked.append(kwargs))
    client = csrf_app.test_client()
    assert client.get("/account/login").status_code == 200
    assert client.head("/account/login").status_code == 200
    assert checked == []
    client.post("/account/login", data={})
    assert checked == [{"apply_exemptions": True}]  # Flask-WTF works out the exemptions


def test_a_stripe_webhook_needs_no_token(csrf_app):
    """An exempt view (the webhook is signed by Stripe, not by a form) is not refused."""
    response = csrf_app.test_client().post("/stripe/webhook", data=b"{}")
    assert response.status_code != 400 or b"security token" not in response.data


def test_a_shop_that_turns_the_default_check_off_gets_none(make_app):
    app = make_app(WTF_CSRF_ENABLED=True, WTF_CSRF_CHECK_DEFAULT=False)
    response = app.test_client().post("/account/login", data={"email": "anna@example.com"})
    assert b"security token" not in response.data
