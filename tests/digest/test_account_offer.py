"""Members are offered the digest on their account page and the deals page, and its form
subscribes them."""

import re

from bookstore.dbtypes import utcnow
from bookstore.demo.deals import load_demo_deals
from bookstore.extensions import db
from tests.deals.builders import make_member
from tests.digest.helpers import link_path
from tests.factories import TEST_PASSWORD
from tests.fixtures.mail import Outbox, text_body


def digest_section(page: str) -> str:
    match = re.search(r'<section[^>]*aria-labelledby="account-digest".*?</section>', page, re.S)
    assert match, "no digest section on the account page"
    return match[0]


def form_fields(html: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the one form in ``html``, as the browser would send."""
    action = re.search(r'<form[^>]*action="([^"]+)"', html)[1]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' in tag:
            fields[re.search(r'name="([^"]+)"', tag)[1]] = re.search(r'value="([^"]*)"', tag)[1]
    return action, fields


def test_a_member_subscribes_from_the_account_page_and_gets_the_members_digest(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    outbox = Outbox(app.config["MAIL_OUTBOX"])
    with app.app_context():
        load_demo_deals(utcnow())
        make_member("member@example.com", now=utcnow())
        db.session.commit()
    client = app.test_client()
    _, login = form_fields(client.get("/account/login").text)
    client.post(
        "/account/login",
        data={**login, "email": "member@example.com", "password": TEST_PASSWORD},
    )

    offer = digest_section(client.get("/account/").text)
    assert "Weekly digest" in offer
    assert "Send me the weekly digest" in offer
    action, fields = form_fields(offer)
    assert action == "/digest/subscribe"
    assert fields["email"] == "member@example.com"
    assert fields["csrf_token"]
    # The form as rendered (with its CSRF token) is accepted.
    assert client.post(action, data=fields).status_code == 200

    pending = digest_section(client.get("/account/").text)
    assert "We sent a confirmation link to member@example.com" in pending
    [confirmation] = outbox.to("member@example.com")
    client.get(link_path(text_body(confirmation), "/digest/confirm/"))
    subscribed = digest_section(client.get("/account/").text)
    assert "The weekly digest comes to member@example.com" in subscribed
    assert "<form" not in subscribed

    result = app.test_cli_runner().invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    [digest] = [m for m in outbox.to("member@example.com") if m["List-Unsubscribe"]]
    assert "Members save 15% on every book" in text_body(digest)


def signup_box(page: str) -> str:
    match = re.search(
        r'<section[^>]*aria-labelledby="digest-signup-title".*?</section>', page, re.S
    )
    assert match, "no digest sign-up on the page"
    return match[0]


def test_the_deals_page_offers_a_signed_in_reader_the_digest_in_one_click(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_member("member@example.com", now=utcnow())
        db.session.commit()
    client = app.test_client()
    # A visitor gives an address.
    assert 'type="email" name="email"' in signup_box(client.get("/deals/").text)

    _, login = form_fields(client.get("/account/login").text)
    client.post(
        "/account/login",
        data={**login, "email": "member@example.com", "password": TEST_PASSWORD},
    )
    offer = signup_box(client.get("/deals/").text)
    assert 'type="email"' not in offer  # the account's address, not asked again
    assert "to member@example.com" in offer
    action, fields = form_fields(offer)
    assert action == "/digest/subscribe"
    assert fields["email"] == "member@example.com"
    assert client.post(action, data=fields).status_code == 200
    pending = signup_box(client.get("/deals/").text)
    assert "We sent a confirmation link to member@example.com" in pending
