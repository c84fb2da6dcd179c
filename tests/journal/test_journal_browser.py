"""The journal and About pages in Chromium: accessible (axe-core) and fit on a phone."""

import pytest
from playwright.sync_api import expect

from bookstore.demo.catalog import load_demo
from tests.fixtures.browser import assert_accessible

pytestmark = pytest.mark.browser

DEMO_POST = "/journal/comrades-rivals-neighbours-moscow-and-beijing"


@pytest.fixture
def demo_server(live_server):
    with live_server.app.app_context():
        load_demo(if_empty=False, echo=lambda _: None)
    return live_server


def test_journal_pages_are_accessible(demo_server, page):
    for path in ("/journal/", DEMO_POST, "/journal/tags/russia-file", "/about"):
        page.goto(demo_server.url + path)
        assert page.locator("h1").count() == 1, path
        assert_accessible(page)
    assert page.js_errors == []


def test_reader_goes_from_the_list_to_a_post_and_its_tag(demo_server, page):
    page.goto(demo_server.url + "/journal/")
    page.get_by_role("link", name="Comrades, Rivals, Neighbours").click()
    expect(page.get_by_role("heading", name="Some of Our Books")).to_be_visible()
    page.get_by_role("link", name="Int'l Relations").first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Posts tagged")


def test_post_fits_a_phone_screen(demo_server, page):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(demo_server.url + DEMO_POST)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the post scrolls sideways on a phone"
