"""Daily back-office work in a real browser: a scanned delivery, a stock count without
JavaScript, the books list's inline edits and bulk actions, at desktop and phone widths."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bookstore.accounts.models import Role
from bookstore.catalog.models import Edition
from bookstore.extensions import db
from bookstore.staff.models import StockBatch
from tests.factories import TEST_PASSWORD, make_book, make_user
from tests.fixtures.browser import assert_accessible

pytestmark = pytest.mark.browser

# Screenshots for people to look at, when BOOKSTORE_SCREENSHOTS names a folder.
SHOTS = os.environ.get("BOOKSTORE_SCREENSHOTS")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def shoot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def no_sideways_scroll(page) -> None:
    """At phone width the page itself never scrolls sideways."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{page.url} is {overflow}px wider than the screen"


def log_in_as_staff(page, url: str) -> None:
    page.goto(f"{url}/account/login?next=/staff/")
    page.get_by_label("Email").fill("staff@example.com")
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/staff/")


@pytest.fixture
def shelf(live_server):
    """Twenty paperbacks with 2 copies each, and a staff account: the ISBNs."""
    with live_server.app.app_context():
        books = [make_book(f"Scanned Title {n:02d}", on_hand=2) for n in range(20)]
        make_user("staff@example.com", name="Sam Staff", role=Role.STAFF)
        db.session.commit()
        return [b.editions[0].isbn13 for b in books]


def on_hand(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(Edition.isbn13, Edition.on_hand)).all())


def test_a_scanned_delivery_of_twenty_titles_is_received_from_one_page(live_server, page, shelf):
    url = live_server.url
    log_in_as_staff(page, url)
    page.get_by_role("link", name="Receive", exact=True).click()
    expect(page.get_by_role("heading", name="Receive a delivery")).to_be_visible()
    page.get_by_label("Supplier").fill("Consortium Book Sales")
    page.get_by_label("Reference").fill("DN-9001")
    page.get_by_label("ISBN, row 1", exact=True).click()
    # A scanner types each ISBN and presses Enter: focus moves on, rows are added past ten,
    # and the first title scanned twice becomes one row of two copies.
    for isbn in [*shelf, shelf[0]]:
        page.keyboard.type(isbn)
        page.keyboard.press("Enter")
    expect(page.get_by_label("ISBN, row 21", exact=True)).to_be_focused()
    expect(page.get_by_label("Copies received, row 1", exact=True)).to_have_value("2")
    expect(page.get_by_text("Scanned Title 19 (Paperback), 2 on hand now")).to_be_visible()
    expect(page.get_by_label("ISBN, row 22", exact=True)).to_have_count(0)
    with live_server.app.app_context():
        assert db.session.scalar(select(StockBatch)) is None  # Enter recorded nothing
    page.get_by_label("Copies received, row 2", exact=True).fill("5")
    page.get_by_role("button", name="Add 10 more rows").click()
    expect(page.get_by_label("ISBN, row 22", exact=True)).to_be_focused()
    expect(page.get_by_label("ISBN, row 31", exact=True)).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)
    shoot(page, "receive-delivery-desktop")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    shoot(page, "receive-delivery-phone")
    page.get_by_role("button", name="Record the delivery").click()
    expect(page.get_by_text("Received 25 copies of 20 title(s).")).to_be_visible()
    expect(page.get_by_role("heading", name="Delivery #")).to_be_visible()
    no_sideways_scroll(page)
    assert_accessible(page)
    shoot(page, "delivery-recorded-phone")
    counts = on_hand(live_server.app)
    assert counts[shelf[0]] == 4
    assert counts[shelf[1]] == 7
    assert [counts[isbn] for isbn in shelf[2:]] == [3] * 18


def test_an_unknown_isbn_is_shown_at_once_and_refuses_the_delivery(live_server, page, shelf):
    log_in_as_staff(page, live_server.url)
    page.goto(f"{live_server.url}/staff/stock/receive")
    page.get_by_label("Supplier").fill("Ingram")
    page.get_by_label("ISBN, row 1", exact=True).fill(shelf[0])
    page.get_by_label("ISBN, row 1", exact=True).press("Enter")
    page.keyboard.type("9780000000002")
    page.keyboard.press("Enter")
    expect(page.get_by_text("No edition in the catalog has this ISBN")).to_be_visible()
    page.get_by_role("button", name="Record the delivery").click()
    expect(page.get_by_role("alert")).to_contain_text("Row 2 (9780000000002)")
    assert_accessible(page)
    assert on_hand(live_server.app)[shelf[0]] == 2


def test_a_stock_count_works_without_javascript(live_server, chromium, shelf):
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        log_in_as_staff(page, live_server.url)
        page.goto(f"{live_server.url}/staff/stock/count")
        page.get_by_label("Copies counted, row 1", exact=True).fill("6")
        page.get_by_label("ISBN, row 2", exact=True).fill(shelf[1])
        page.get_by_label("Copies counted, row 2", exact=True).fill("0")
        page.get_by_label("ISBN, row 1", exact=True).fill(shelf[0])
        # Enter without JavaScript presses the first button: check, never record.
        page.get_by_label("ISBN, row 1", exact=True).press("Enter")
        expect(page.get_by_text("All 2 lines found")).to_be_visible()
        expect(page.get_by_text("Scanned Title 00")).to_be_visible()
        assert on_hand(live_server.app)[shelf[0]] == 2
        page.get_by_role("button", name="Add 10 more rows").click()
        expect(page.get_by_label("ISBN, row 20", exact=True)).to_be_visible()
        expect(page.get_by_text("Scanned Title 01")).to_be_visible()
        no_sideways_scroll(page)
        shoot(page, "stock-count-nojs-phone")
        page.get_by_role("button", name="Record the count").click()
        expect(page.get_by_text("Count recorded: 2 title(s), 2 changed.")).to_be_visible()
        counts = on_hand(live_server.app)
        assert (counts[shelf[0]], counts[shelf[1]]) == (6, 0)
    finally:
        context.close()


def test_books_list_inline_edit_bulk_action_and_search_shortcut(live_server, page, shelf):
    url = live_server.url
    log_in_as_staff(page, url)
    page.goto(f"{url}/staff/books?sort=title")
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox")).to_be_focused()
    page.keyboard.press("Escape")
    page.get_by_role("link", name=re.compile(r"^Price\b.*sort ascending")).click()
    expect(page.locator("th[aria-sort]")).to_contain_text("Price")

    price = page.get_by_label("Price of Scanned Title 03 (Paperback)")
    price.fill("21.50")
    price.press("Enter")
    expect(page.get_by_text("Saved Scanned Title 03 (paperback): 21.50.")).to_be_visible()
    stock = page.get_by_label("Copies on hand of Scanned Title 04 (Paperback)")
    stock.fill("9")
    page.get_by_role("button", name="Save Scanned Title 04 (Paperback)").click()
    saved = "Saved Scanned Title 04 (paperback): 16.00, 9 on hand."
    expect(page.get_by_text(saved)).to_be_visible()

    page.get_by_label("Select Scanned Title 05 (Paperback)").check()
    page.get_by_label("Select Scanned Title 06 (Paperback)").check()
    page.get_by_label("With the selected rows").select_option("threshold")
    page.get_by_label("Subject or threshold").fill("5")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_text("2 record(s) changed")).to_be_visible()
    expect(page.get_by_text("low at 5")).to_have_count(2)
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)
    shoot(page, "books-desktop")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    shoot(page, "books-phone")
    with live_server.app.app_context():
        rows = {e.isbn13: e for e in db.session.scalars(select(Edition))}
        assert rows[shelf[3]].price_cents == 2150
        assert rows[shelf[4]].on_hand == 9
        assert [rows[i].low_stock_threshold for i in shelf[5:8]] == [5, 5, None]


def test_a_post_with_a_picture_from_the_staff_form_to_the_journal(live_server, page, shelf):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (40, 70, 120)).save(buffer, "PNG")
    picture = {"name": "winter.png", "mimeType": "image/png", "buffer": buffer.getvalue()}
    log_in_as_staff(page, live_server.url)
    page.goto(f"{live_server.url}/staff/posts/new")
    page.get_by_label("Title").fill("Snow at the dacha")
    page.get_by_label("Picture", exact=True).set_input_files(picture)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Describe the picture for readers who cannot see it")).to_be_visible()
    page.get_by_label("Picture", exact=True).set_input_files(picture)
    page.get_by_label("Describe the picture").fill("A blue winter sky over a wooden house")
    page.get_by_label("Publish at").fill("2024-01-05T10:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Post saved.")).to_be_visible()
    expect(page.get_by_role("img", name="A blue winter sky over a wooden house")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="See it in the journal").click()
    image = page.get_by_role("img", name="A blue winter sky over a wooden house")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 600
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    shoot(page, "journal-post-with-picture-phone")


STAFF_PAGES = [
    "/staff/",
    "/staff/books",
    "/staff/stock/receive",
    "/staff/stock/count",
    "/staff/catalog/contributors",
    "/staff/orders",
    "/staff/deals",
    "/staff/deals/new",
    "/staff/posts",
    "/staff/posts/new",
    "/staff/policies",
    "/staff/jobs/failed",
    "/staff/members",
    "/staff/import",
    "/staff/digest",
    "/staff/audit",
]


def test_every_staff_page_fits_a_phone(live_server, page, shelf):
    """At 390 pixels no staff page scrolls sideways (tables reflow into cards)."""
    url = live_server.url
    log_in_as_staff(page, url)
    with live_server.app.app_context():
        edition = db.session.scalar(select(Edition).order_by(Edition.id))
        book_page = f"/staff/books/{edition.book_id}"
        edition_page = f"/staff/editions/{edition.id}"
    page.set_viewport_size(PHONE)
    # A receipt in the ledger and the audit log, so their tables have rows to reflow.
    page.goto(f"{url}{edition_page}")
    page.get_by_label("Copies received").fill("3")
    page.get_by_role("button", name="Receive", exact=True).click()
    expect(page.get_by_text("Received 3 copies.")).to_be_visible()
    for path in [*STAFF_PAGES, book_page, edition_page]:
        response = page.goto(f"{url}{path}")
        assert response.status == 200, path
        no_sideways_scroll(page)
        # Stacked table cells say which column they belong to.
        for cell in page.locator("main td:not([colspan])").all()[:20]:
            if cell.is_visible() and cell.inner_text().strip():
                assert cell.get_attribute("data-label") or cell.evaluate(
                    "td => td.closest('table').classList.contains('book-rows')"
                ), f"unlabelled cell on {path}"
        name = path.strip("/").replace("/", "-") or "staff"
        shoot(page, f"phone-{name}")


def test_staff_log_out_from_the_back_office_header(live_server, page, shelf):
    url = live_server.url
    page.set_viewport_size(PHONE)
    log_in_as_staff(page, url)
    header = page.get_by_role("banner")
    expect(header).to_contain_text("Sam Staff (staff)")
    no_sideways_scroll(page)
    assert_accessible(page)
    header.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{url}/")
    expect(page.get_by_text("You are logged out")).to_be_visible()
    page.goto(f"{url}/staff/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_a_tick_box_sits_before_its_label_at_phone_width(live_server, page, shelf):
    page.set_viewport_size(PHONE)
    log_in_as_staff(page, live_server.url)
    page.goto(f"{live_server.url}/staff/deals/new")
    box = page.get_by_label("Stacks with other deals").bounding_box()
    label = page.locator("label", has_text="Stacks with other deals").bounding_box()
    assert box["x"] + box["width"] <= label["x"]  # before it, not above it
    middle = box["y"] + box["height"] / 2
    assert label["y"] <= middle <= label["y"] + label["height"]  # on the same line


def test_the_sections_fold_behind_a_button_on_phones_and_show_in_place_on_wide_screens(
    live_server, page, chromium, shelf
):
    url = live_server.url
    page.set_viewport_size(PHONE)
    log_in_as_staff(page, url)
    orders = page.get_by_role("navigation", name="Back office").get_by_role("link", name="Orders")
    expect(orders).to_be_hidden()
    page.get_by_text("Sections").click()
    expect(orders).to_be_visible()
    assert_accessible(page)
    orders.click()
    page.wait_for_url(f"{url}/staff/orders")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders")

    page.set_viewport_size(DESKTOP)
    page.goto(f"{url}/staff/")
    expect(page.get_by_text("Sections")).to_be_hidden()
    expect(orders).to_be_visible()

    # Without JavaScript: folded on a phone (the button opens it), in place when wide.
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE)
    plain = context.new_page()
    log_in_as_staff(plain, url)
    links = plain.get_by_role("navigation", name="Back office").get_by_role("link")
    expect(links.first).to_be_hidden()
    plain.get_by_text("Sections").click()
    expect(links.first).to_be_visible()
    plain.set_viewport_size(DESKTOP)
    plain.reload()
    expect(links.first).to_be_visible()
    context.close()


def test_the_orders_filters_labels_line_up(live_server, page, shelf):
    page.set_viewport_size(DESKTOP)
    log_in_as_staff(page, live_server.url)
    page.goto(f"{live_server.url}/staff/orders")
    labels = page.locator("form.filters label")
    tops = {n: labels.nth(n).bounding_box()["y"] for n in range(labels.count())}
    assert max(tops.values()) - min(tops.values()) <= 1, tops
