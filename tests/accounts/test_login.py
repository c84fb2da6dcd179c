"""Login and logout: one answer for any wrong detail, the session starts afresh, logout is POST."""

from flask_login import user_logged_in
from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.extensions import db
from tests.accounts.helpers import is_logged_in, log_in
from tests.factories import TEST_PASSWORD, make_user


def add_user(app, email="anna@example.com", **kwargs):
    with app.app_context():
        user = make_user(email, **kwargs)
        db.session.commit()
        return user.id


def test_login_with_the_right_password_opens_the_account(app, client):
    add_user(app, name="Anna Petrova")
    response = log_in(client, "Anna@Example.com ")
    assert response.status_code == 302
    assert response.location == "/account/"
    assert "Anna Petrova" in client.get("/account/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)).last_login_at is not None


def test_wrong_password_and_unknown_email_get_the_same_answer(app, client):
    add_user(app)
    wrong_password = log_in(client, "anna@example.com", "not my password at all")
    unknown_email = log_in(client, "nobody@example.com", "not my password at all")

    assert wrong_password.status_code == unknown_email.status_code == 200
    message = "That email and password do not match an account."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_email.get_data(as_text=True)
    assert wrong_password.get_data(as_text=True).replace(
        "anna@example.com", "X"
    ) == unknown_email.get_data(as_text=True).replace("nobody@example.com", "X")
    assert not is_logged_in(client)


def test_unknown_email_still_spends_time_hashing(app, client, monkeypatch):
    from bookstore.accounts import passwords

    calls = []
    real = passwords.check_password_hash
    monkeypatch.setattr(
        passwords, "check_password_hash", lambda h, p: calls.append(h) or real(h, p)
    )
    log_in(client, "nobody@example.com", "not my password at all")
    assert len(calls) == 1
    assert calls[0].startswith("scrypt:")


def test_an_overlong_password_is_a_wrong_password_not_an_error(app, client):
    add_user(app)
    response = log_in(client, "anna@example.com", "x" * 100_000)
    assert response.status_code == 200
    assert "do not match an account" in response.get_data(as_text=True)


def test_login_fires_user_logged_in(app, client):
    add_user(app)
    seen = []
    with user_logged_in.connected_to(lambda _s, user: seen.append(user.email), app):
        log_in(client, "anna@example.com")
    assert seen == ["anna@example.com"]


def test_login_starts_a_fresh_session_but_keeps_the_cart_token(app, client, monkeypatch):
    import flask_login

    user_id = add_user(app)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["cart_token"] = "guest-cart-token"
        session["_user_id"] = "999:1"
    at_login = {}
    real_login_user = flask_login.login_user

    def spy(user, **kwargs):
        # What the session holds when login_user runs (and fires user_logged_in for the cart).
        from flask import session

        at_login.update(session)
        return real_login_user(user, **kwargs)

    monkeypatch.setattr(flask_login, "login_user", spy)
    log_in(client, "anna@example.com")

    assert at_login == {"cart_token": "guest-cart-token"}
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{user_id}:1"
        assert session["_fresh"] is True


def test_logout_is_post_only_and_ends_the_session(app, client):
    add_user(app)
    log_in(client, "anna@example.com")
    assert client.get("/account/logout").status_code == 405
    assert is_logged_in(client)

    response = client.post("/account/logout")

    assert response.status_code == 302
    assert not is_logged_in(client)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_account_page_needs_login_and_sends_back_after(app, client):
    add_user(app)
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.location.startswith("/account/login?next=")
    login_page = client.get(response.location).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/account/"' in login_page
    assert log_in(client, "anna@example.com", next_url="/account/").location == "/account/"


def test_login_page_links_to_reset_and_sign_up(client):
    page = client.get("/account/login").get_data(as_text=True)
    assert 'href="/account/reset"' in page
    assert 'href="/account/signup"' in page
    assert 'autocomplete="current-password"' in page


def test_header_shows_log_in_or_the_user_and_a_log_out_button(app, client):
    add_user(app, name="Anna Petrova")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/account/login"' in page
    log_in(client, "anna@example.com", TEST_PASSWORD)
    page = client.get("/").get_data(as_text=True)
    assert "Anna Petrova" in page
    assert 'action="/account/logout" method="post"' in page


def test_a_logged_in_user_opening_the_login_page_goes_on(app, client):
    add_user(app)
    log_in(client, "anna@example.com")
    assert client.get("/account/login").location == "/account/"
    assert client.get("/account/login?next=/cart").location == "/cart"
    assert client.get("/account/login?next=//evil.example").location == "/account/"
