"""A visitor with an empty session is a guest at once; any other goes Flask-Login's own way."""

from flask import session
from flask_login import current_user

from bookstore.extensions import login_manager


def spy_on_the_protection_check(monkeypatch) -> list[int]:
    calls: list[int] = []
    made = login_manager._session_identifier_generator

    def identifier():
        calls.append(1)
        return made()

    monkeypatch.setattr(login_manager, "_session_identifier_generator", identifier)
    return calls


def test_an_empty_sessions_visitor_is_a_guest_without_the_protection_check(app, monkeypatch):
    calls = spy_on_the_protection_check(monkeypatch)
    with app.test_request_context("/about"):
        assert not current_user.is_authenticated
        assert session.accessed  # read as Flask-Login reads it: the answer varies on Cookie
        assert "_fresh" not in session
    assert calls == []


def test_a_guest_with_a_session_still_gets_flask_logins_protection_mark(app, monkeypatch):
    calls = spy_on_the_protection_check(monkeypatch)
    with app.test_request_context("/about"):
        session["csrf_token"] = "a token"
        assert not current_user.is_authenticated
        assert session["_fresh"] is False
    assert calls == [1]


def test_a_remember_cookie_or_an_authorization_header_goes_flask_logins_way(app, monkeypatch):
    calls = spy_on_the_protection_check(monkeypatch)
    with app.test_request_context("/about", headers={"Cookie": "remember_token=bogus"}):
        assert not current_user.is_authenticated
    with app.test_request_context("/about", headers={"Authorization": "Basic eA=="}):
        assert not current_user.is_authenticated
    assert calls == [1, 1]


def test_the_visitor_is_flask_logins_current_user(app):
    from bookstore.extensions import db
    from bookstore.login_manager import visitor
    from tests.factories import make_user

    with app.app_context():
        user_id = make_user("ada@example.com").get_id()
        db.session.commit()
    assert visitor() is None  # outside a request, as current_user
    with app.test_request_context("/about"):
        assert visitor() is current_user._get_current_object()
        assert not visitor().is_authenticated
    with app.test_request_context("/about"):
        session["_user_id"] = user_id
        assert visitor().email == "ada@example.com"  # loaded on first use, as current_user is
        assert visitor() is current_user._get_current_object()
