"""The shared layout in a real browser: accessible, responsive, no script errors."""

import pytest

from tests.fixtures.browser import assert_accessible

pytestmark = pytest.mark.browser


def test_home_page_is_accessible_and_error_free(live_server, page):
    page.goto(live_server.url + "/")
    assert page.locator("h1").count() == 1
    assert page.get_by_role("search").count() >= 1
    assert_accessible(page)
    assert page.js_errors == []


def test_layout_fits_a_phone_screen(live_server, page):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page scrolls sideways on a phone"
