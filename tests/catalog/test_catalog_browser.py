"""Catalog pages in Chromium: accessible (axe-core), fit a phone, JSON-LD allowed by the CSP."""

from datetime import date

import pytest
from playwright.sync_api import expect

from bookstore.catalog.isbn import hyphenate_isbn13
from bookstore.extensions import db
from tests.factories import make_book
from tests.fixtures.browser import assert_accessible

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/books",
    "/books?subject=mystery&sort=title",
    "/books/{slug}",
    "/authors/alexei-bayer",
    "/series/matyushkin-mysteries",
    "/subjects/mystery",
]


@pytest.fixture
def catalog_urls(browser_app):
    with browser_app.app_context():
        dacha = make_book(
            "Murder at the Dacha",
            formats=("paperback", "hardcover", "ebook"),
            series=("Matyushkin Mysteries", 2),
            subjects=("Fiction", "Mystery"),
            authors=("Alexei Bayer",),
            on_hand=2,
            featured=True,
        )
        make_book(
            "The Latchkey Murders",
            series=("Matyushkin Mysteries", 1),
            subjects=("Mystery",),
            authors=("Alexei Bayer",),
            on_hand=0,
        )
        make_book(
            "Murder and the Muse",
            series=("Matyushkin Mysteries", 3),
            subjects=("Mystery",),
            authors=("Alexei Bayer",),
            published_on=date(2099, 1, 1),
        )
        for n in range(30):
            make_book(f"History Volume {n}", subjects=("History",))
        db.session.commit()
        return [url.format(slug=dacha.slug) for url in PAGES]


def test_catalog_pages_have_no_serious_accessibility_violations(live_server, page, catalog_urls):
    for url in catalog_urls:
        page.goto(live_server.url + url)
        assert page.locator("h1").count() == 1, url
        assert_accessible(page)
    assert page.js_errors == []


@pytest.mark.parametrize("width", [360, 768])
def test_catalog_pages_fit_small_screens(live_server, page, catalog_urls, width):
    page.set_viewport_size({"width": width, "height": 800})
    for url in catalog_urls:
        page.goto(live_server.url + url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways at {width}px"


def test_book_json_ld_is_readable_under_the_real_csp(live_server, chromium, catalog_urls):
    # A context that keeps the CSP: the JSON-LD block is data, so nothing may be blocked.
    context = chromium.new_context()
    try:
        page = context.new_page()
        messages: list[str] = []
        page.on("console", lambda msg: messages.append(msg.text))
        page.goto(live_server.url + catalog_urls[3])
        data = page.evaluate(
            "JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
        )
        assert data["@type"] == "Book"
        assert data["name"] == "Murder at the Dacha"
        assert not [m for m in messages if "Content Security Policy" in m], messages
        # The generated cover loads as an image under the CSP too.
        cover = page.locator(".book-cover img")
        cover.wait_for()
        page.wait_for_function("document.querySelector('.book-cover img').complete")
        assert cover.evaluate("img => img.naturalWidth") > 0
    finally:
        context.close()


def test_a_shopper_searches_for_dacha_and_finds_its_isbn_and_price(live_server, page):
    with live_server.app.app_context():
        dacha = make_book("Murder at the Dacha", price_cents=1695, on_hand=4)
        make_book("The Little Golden Calf")
        db.session.commit()
        isbn = hyphenate_isbn13(dacha.editions[0].isbn13)

    page.goto(live_server.url + "/")
    assert_accessible(page)
    page.get_by_label("Search books").fill("dacha")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search?q=dacha")
    expect(page.get_by_role("link", name="The Little Golden Calf")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Murder at the Dacha").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Murder at the Dacha")
    expect(page.locator(".isbn").first).to_have_text(isbn)
    expect(page.get_by_text("$16.95").first).to_be_visible()
    assert_accessible(page)
    assert page.js_errors == []
