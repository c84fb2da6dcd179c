"""Search and covers in Chromium: suggestions in an accessible combobox that the keyboard drives
(and a plain form without JavaScript), both scripts, the corrected spelling, and covers that
keep their place as they load, at 390x844 and 1366x900."""

import io
import os
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from bookstore.catalog import search
from bookstore.extensions import db
from bookstore.staff.cover_images import store_cover
from tests.factories import make_book
from tests.fixtures.browser import axe_violations

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desktop": (1366, 900)}
# Screenshots to look at: set COVERS_SCREENSHOTS to a folder to keep them.
SHOTS = os.environ.get("COVERS_SCREENSHOTS")


def cover(colour: str, text: str) -> bytes:
    image = Image.new("RGB", (600, 900), colour)
    ImageDraw.Draw(image).text((40, 60), text, fill="white", font_size=56)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def shelf(browser_app):
    # The did-you-mean word list is kept per database for minutes: this catalog is new.
    search._vocabulary_cache.clear()
    folder = Path(browser_app.config["COVER_DIR"])
    with browser_app.app_context():
        for title, people, colour in (
            ("A Taste of Chekhov", ("Anton Chekhov",), "#1f4e5f"),
            ("Chekhov Bilingual", ("Anton Chekhov",), "#5f1f3a"),
            ("Murder at the Dacha", ("Alexei Bayer",), "#3a5f1f"),
            ("The Latchkey Murders", ("Alexei Bayer",), None),
            ("Murder and the Muse", ("Alexei Bayer",), "#5f4b1f"),
        ):
            book = make_book(title, authors=people, published_on=None)
            if colour:
                book.cover_image = store_cover(cover(colour, title), folder).filename("large")
        make_book(
            "The Little Golden Calf",
            original_title="Золотой телёнок",
            authors=("Ilya Ilf", "Evgeny Petrov"),
        )
        for n in range(10):
            make_book(f"History Volume {n}")
        db.session.commit()


def context_page(chromium, size, **options):
    width, height = SIZES[size]
    context = chromium.new_context(viewport={"width": width, "height": height}, **options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


@pytest.mark.usefixtures("shelf")
@pytest.mark.parametrize("size", SIZES)
def test_suggestions_drive_by_keyboard_in_either_script(live_server, chromium, size):
    context, page = context_page(chromium, size, bypass_csp=True)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + "/")
    box = page.locator("#site-search")
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press_sequentially("Чех", delay=40)
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(listbox.get_by_role("option", name="Anton Chekhov Author")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="suggestions")).to_have_count(1)
    shot(page, f"suggest-{size}")
    assert axe_violations(page) == []
    box.press("ArrowDown")
    first = listbox.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    box.press("Escape")
    expect(listbox).to_be_hidden()
    box.press("ArrowDown")
    expect(listbox).to_be_visible()
    box.press("ArrowDown")
    chosen = listbox.locator('[aria-selected="true"] .suggest-label').inner_text()
    box.press("Enter")
    page.wait_for_url("**/books/*")
    expect(page.get_by_role("heading", level=1)).to_have_text(chosen)
    assert errors == []
    context.close()


@pytest.mark.usefixtures("shelf")
def test_without_javascript_the_box_is_a_plain_search_form(live_server, chromium):
    context, page = context_page(chromium, "phone", java_script_enabled=False)
    page.goto(live_server.url + "/")
    box = page.locator("#site-search")
    assert box.get_attribute("role") is None
    box.fill("Zolotoy telyonok")
    box.press("Enter")
    page.wait_for_url("**/search?q=Zolotoy+telyonok")
    expect(page.get_by_role("link", name="The Little Golden Calf")).to_be_visible()
    context.close()


@pytest.mark.usefixtures("shelf")
@pytest.mark.parametrize("size", SIZES)
def test_cyrillic_results_corrections_and_covers_in_place(live_server, chromium, size):
    context, page = context_page(chromium, size, bypass_csp=True)
    page.goto(live_server.url + "/search?q=Чехов")
    expect(page.get_by_role("heading", name="A Taste of Chekhov")).to_be_visible()
    book_url = page.get_by_role("link", name="A Taste of Chekhov").get_attribute("href")
    shot(page, f"search-cyrillic-{size}")
    assert axe_violations(page) == []

    page.goto(live_server.url + "/search?q=murdr")
    expect(page.get_by_text("Showing results for")).to_be_visible()
    expect(page.get_by_role("heading", name="Murder at the Dacha")).to_be_visible()
    shot(page, f"search-corrected-{size}")
    assert axe_violations(page) == []
    page.get_by_role("link", name="murdr").click()
    expect(page.get_by_text("No books match")).to_be_visible()

    page.goto(live_server.url + "/books")
    covers = page.locator(".book-grid img.cover")
    first = covers.first
    expect(first).to_have_attribute("width", "160")
    expect(first).to_have_attribute("height", "240")
    # Uploaded covers arrive as JPEGs of the right width from the srcset; none is broken.
    page.wait_for_load_state("networkidle")
    page.mouse.wheel(0, 4000)
    page.wait_for_load_state("networkidle")
    broken = page.evaluate(
        "() => [...document.querySelectorAll('img.cover')]"
        ".filter(i => i.complete && i.naturalWidth === 0).map(i => i.src)"
    )
    assert broken == []
    chosen = page.evaluate("() => document.querySelector('img.cover[srcset]').currentSrc")
    assert chosen.endswith(("-small.jpg", "-medium.jpg", "-large.jpg"))
    page.mouse.wheel(0, -4000)
    shot(page, f"browse-covers-{size}")
    page.goto(live_server.url + book_url)
    main_cover = page.locator(".book-cover img")
    expect(main_cover).to_have_attribute("fetchpriority", "high")
    assert page.evaluate("() => document.querySelector('.book-cover img').naturalWidth") > 0
    shot(page, f"book-cover-{size}")
    context.close()
