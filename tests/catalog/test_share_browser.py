"""Chromium: "Share this book" opens the phone's share sheet, or copies the book's link."""

import pytest
from playwright.sync_api import expect

from bookstore.extensions import db
from tests.factories import make_book
from tests.fixtures.browser import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def book_url(live_server):
    with live_server.app.app_context():
        slug = make_book("Murder at the Dacha").slug
        db.session.commit()
    return f"{live_server.url}/books/{slug}"


def canonical(page) -> str:
    return page.locator("link[rel=canonical]").get_attribute("href")


def test_a_phone_shares_the_book_through_its_share_sheet(page, book_url):
    page.add_init_script(
        "window.shared = [];"
        "navigator.share = (data) => { window.shared.push(data); return Promise.resolve(); };"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(book_url)
    page.get_by_role("button", name="Share this book").click()
    assert page.evaluate("window.shared") == [
        {"title": "Murder at the Dacha", "url": canonical(page)}
    ]
    assert_accessible(page)
    assert page.js_errors == []


def test_without_a_share_sheet_the_link_is_copied(page, book_url):
    page.add_init_script(
        "delete Navigator.prototype.share;"
        "navigator.clipboard.writeText = (text) => {"
        "  window.copied = text; return Promise.resolve();"
        "};"
    )
    page.goto(book_url)
    page.get_by_role("button", name="Copy this book's link").click()
    expect(page.get_by_role("status").filter(has_text="Link copied.")).to_be_visible()
    assert page.evaluate("window.copied") == canonical(page)
    assert page.js_errors == []


def test_without_javascript_there_is_no_share_button(chromium, book_url):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(book_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Murder at the Dacha")
    expect(page.get_by_role("button", name="Share this book")).to_have_count(0)
    context.close()
