"""Sessions end everywhere on logout and password change; cookies are HttpOnly, Lax, Secure."""

import time
from datetime import timedelta

from bookstore.extensions import db
from tests.accounts.helpers import STRONG_PASSWORD, is_logged_in, log_in
from tests.factories import TEST_PASSWORD, make_user


def add_user(app, email="anna@example.com"):
    with app.app_context():
        make_user(email)
        db.session.commit()


def copy_cookies(source, target):
    """Give ``target`` every cookie ``source`` holds, as a thief with a copied cookie would."""
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def test_a_copied_session_cookie_works_until_the_owner_logs_out(app):
    add_user(app)
    owner, thief = app.test_client(), app.test_client()
    log_in(owner, "anna@example.com")
    copy_cookies(owner, thief)
    assert is_logged_in(thief)

    owner.post("/account/logout")

    assert not is_logged_in(thief)
    assert not is_logged_in(owner)


def test_changing_the_password_ends_other_sessions_but_not_this_one(app):
    add_user(app)
    owner, laptop, thief = app.test_client(), app.test_client(), app.test_client()
    log_in(owner, "anna@example.com")
    log_in(laptop, "anna@example.com")
    copy_cookies(owner, thief)

    response = owner.post(
        "/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "password": STRONG_PASSWORD,
            "confirm": STRONG_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert is_logged_in(owner)
    assert not is_logged_in(thief)
    assert not is_logged_in(laptop)


def test_remember_me_cookie_logs_in_a_new_browser_session(app):
    add_user(app)
    browser = app.test_client()
    log_in(browser, "anna@example.com", remember=True)
    remember = browser.get_cookie("remember_token")
    assert remember is not None

    # The browser is closed (session cookie gone) and opened again: still logged in.
    later = app.test_client()
    later.set_cookie("remember_token", remember.value)
    assert is_logged_in(later)


def test_login_without_remember_me_sets_no_remember_cookie(app):
    add_user(app)
    browser = app.test_client()
    log_in(browser, "anna@example.com")
    assert browser.get_cookie("remember_token") is None


def test_a_copied_remember_cookie_stops_working_after_logout(app):
    add_user(app)
    owner = app.test_client()
    log_in(owner, "anna@example.com", remember=True)
    stolen = owner.get_cookie("remember_token").value

    owner.post("/account/logout")

    thief = app.test_client()
    thief.set_cookie("remember_token", stolen)
    assert not is_logged_in(thief)


def test_a_copied_remember_cookie_stops_working_after_a_password_change(app):
    add_user(app)
    owner = app.test_client()
    log_in(owner, "anna@example.com", remember=True)
    stolen = owner.get_cookie("remember_token").value

    owner.post(
        "/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "password": STRONG_PASSWORD,
            "confirm": STRONG_PASSWORD,
        },
    )

    thief = app.test_client()
    thief.set_cookie("remember_token", stolen)
    assert not is_logged_in(thief)
    # The owner's own remember cookie was renewed with the new session version.
    fresh = owner.get_cookie("remember_token").value
    assert fresh != stolen
    again = app.test_client()
    again.set_cookie("remember_token", fresh)
    assert is_logged_in(again)


def set_cookie_headers(response) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def test_cookies_are_httponly_and_samesite_lax_and_not_secure_over_http(app, client):
    add_user(app)
    response = log_in(client, "anna@example.com", remember=True)
    cookies = set_cookie_headers(response)
    assert {c.split("=", 1)[0] for c in cookies} >= {"session", "remember_token"}
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie


def test_cookies_are_secure_when_served_over_https(app, client):
    add_user(app)
    response = log_in(client, "anna@example.com", remember=True, base_url="https://localhost")
    cookies = set_cookie_headers(response)
    assert len(cookies) >= 2
    for cookie in cookies:
        assert "; Secure" in cookie
        assert "HttpOnly" in cookie


def test_cookies_are_secure_behind_a_trusted_https_proxy(make_app):
    app = make_app(TRUST_PROXY_HEADERS=1)
    add_user(app)
    response = log_in(
        app.test_client(),
        "anna@example.com",
        remember=True,
        headers={"X-Forwarded-Proto": "https"},
    )
    for cookie in set_cookie_headers(response):
        assert "; Secure" in cookie


def test_session_cookie_secure_setting_forces_secure_even_over_http(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    add_user(app)
    response = log_in(app.test_client(), "anna@example.com", remember=True)
    cookies = set_cookie_headers(response)
    assert cookies
    assert all("Secure" in cookie for cookie in cookies)


def signed_session_cookie(app, data: dict, *, at: float) -> str:
    """A session cookie as Flask signs it, dated ``at`` (seconds since the epoch)."""
    serializer = app.session_interface.get_signing_serializer(app)
    signer = serializer.make_signer()
    signer.get_timestamp = lambda: int(at)
    return signer.sign(serializer.dump_payload(data)).decode()


def test_a_remembered_session_cookie_still_expires(app, monkeypatch):
    app.permanent_session_lifetime = timedelta(hours=1)
    interface = app.session_interface
    now = time.time()
    cookie = signed_session_cookie(app, {"cart_token": "abc"}, at=now - 3000)
    assert interface.load_cookie(app, cookie) == {"cart_token": "abc"}
    monkeypatch.setattr(time, "time", lambda: now + 601)  # 3601 seconds after signing
    assert interface.load_cookie(app, cookie) is None


def test_a_tampered_session_cookie_is_refused_after_the_real_one_was_read(app):
    interface = app.session_interface
    cookie = signed_session_cookie(app, {"_user_id": "1:1"}, at=time.time())
    assert interface.load_cookie(app, cookie) == {"_user_id": "1:1"}
    payload, _, signature = cookie.rpartition(".")
    forged = signed_session_cookie(app, {"_user_id": "2:1"}, at=time.time())
    forged = forged.rpartition(".")[0] + "." + signature
    assert interface.load_cookie(app, forged) is None
    other = "A" if signature[0] != "A" else "B"
    assert interface.load_cookie(app, f"{payload}.{other}{signature[1:]}") is None


def test_a_request_changing_its_session_in_place_leaves_the_next_request_its_own(app):
    interface = app.session_interface
    cookie = signed_session_cookie(app, {"checkout_orders": [1]}, at=time.time())
    first = interface.load_cookie(app, cookie)
    first["checkout_orders"].append(2)
    assert interface.load_cookie(app, cookie) == {"checkout_orders": [1]}


def test_a_request_changing_a_plain_session_leaves_the_next_request_its_own(app):
    interface = app.session_interface
    cookie = signed_session_cookie(app, {"_user_id": "1:1", "csrf_token": "x"}, at=time.time())
    first = interface.load_cookie(app, cookie)
    first["csrf_token"] = "y"
    first["_flashes"] = [("info", "hi")]
    assert interface.load_cookie(app, cookie) == {"_user_id": "1:1", "csrf_token": "x"}
