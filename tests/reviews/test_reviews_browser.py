"""In a real browser, on a phone and on a laptop: a reader writes a review, staff approve it in
the back office, and the book page then shows it with its rating. axe-core finds nothing on any
of the new pages (no violation of any impact) and no page scrolls sideways."""

import pytest
from playwright.sync_api import expect

from bookstore.accounts.models import Role
from bookstore.extensions import db
from tests.factories import TEST_PASSWORD, make_book, make_user
from tests.fixtures.browser import assert_accessible, go_to_staff_section

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": (390, 844), "laptop": (1366, 900)}


def log_in(page, base: str, email: str, next_path: str) -> None:
    page.goto(f"{base}/account/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}{next_path}")


def log_out(page) -> None:
    page.context.clear_cookies()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_reader_writes_a_review_and_staff_approve_it(live_server, page, size):
    page.set_viewport_size(dict(zip(("width", "height"), VIEWPORTS[size], strict=True)))
    base = live_server.url
    with live_server.app.app_context():
        book = make_book("Murder at the Dacha", authors=("Alexei Bayer",))
        make_user("anna@example.com", name="Anna Petrova")
        make_user("staff@example.com", name="Sam Staff", role=Role.STAFF)
        db.session.commit()
        slug = book.slug

    # A visitor sees no reviews yet and is asked to log in to write one.
    page.goto(f"{base}/books/{slug}")
    reviews = page.get_by_role("region", name="Readers’ reviews")
    expect(reviews.get_by_text("No reviews yet.")).to_be_visible()
    expect(reviews.get_by_role("link", name="Log in to write a review")).to_be_visible()

    log_in(page, base, "anna@example.com", f"/books/{slug}")
    page.get_by_role("link", name="Write a review").click()
    expect(page.get_by_role("heading", name="Review of Murder at the Dacha")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send my review").click()  # nothing chosen yet
    expect(page.get_by_text("Choose a rating from 1 to 5 stars.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("4 stars").check()
    page.get_by_label("Title (optional)").fill("A dacha full of suspects")
    page.get_by_label("Your review").fill("Funny and dark.\n\nThe ending surprised me.")
    page.get_by_role("button", name="Send my review").click()
    expect(page.get_by_text("your review is waiting for moderation")).to_be_visible()
    expect(page.get_by_text("Waiting for moderation.", exact=True)).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base}/account/reviews")
    expect(page.get_by_text("Waiting for moderation", exact=True)).to_be_visible()
    assert_accessible(page)
    log_out(page)

    # Until staff approve it, the public page does not show it.
    page.goto(f"{base}/books/{slug}")
    expect(page.get_by_text("The ending surprised me.")).to_have_count(0)

    log_in(page, base, "staff@example.com", "/staff/")
    go_to_staff_section(page, "Reviews")
    expect(page.get_by_text("The ending surprised me.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Approve the review of Murder at the Dacha").click()
    expect(page.get_by_text("Published the review of “Murder at the Dacha”.")).to_be_visible()
    go_to_staff_section(page, "Press reviews")
    page.get_by_role("link", name="Add a press review").click()
    # The new page first: axe run during the navigation finds no document to check.
    expect(page.get_by_role("heading", name="New press review")).to_be_visible()
    assert_accessible(page)
    log_out(page)

    page.goto(f"{base}/books/{slug}")
    reviews = page.get_by_role("region", name="Readers’ reviews")
    expect(reviews.get_by_text("The ending surprised me.")).to_be_visible()
    expect(reviews.get_by_text("Anna P.", exact=True)).to_be_visible()
    expect(reviews.get_by_text("out of 5 · 1 review")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base}/books/{slug}/reviews?sort=newest")
    expect(page.get_by_text("A dacha full of suspects")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{base}/books")
    expect(page.get_by_text("out of 5 from").first).to_be_attached()
    assert_accessible(page)
