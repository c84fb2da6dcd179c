"""Chromium, at phone width: a reader closes their account from the account page."""

import pytest
from playwright.sync_api import expect

from bookstore.extensions import db
from tests.factories import TEST_PASSWORD, make_user
from tests.fixtures.browser import assert_accessible

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_reader_closes_their_account_on_a_phone(live_server, page):
    with live_server.app.app_context():
        make_user("anna@example.com", name="Anna Petrova")
        db.session.commit()
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/account/login")
    page.get_by_label("Email").fill("anna@example.com")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Close your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close your account")
    assert_accessible(page)
    page.get_by_role("button", name="Close my account").click()
    expect(page.get_by_text("Enter your password to close your account.")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Close my account").click()
    expect(page.get_by_text("Your account is closed.")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}/account/")  # logged out: the login form
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert page.js_errors == []
