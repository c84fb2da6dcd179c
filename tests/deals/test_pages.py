"""The deals page, claiming through it, the membership page and the badge."""

import re

import pytest
from sqlalchemy import func, select

from bookstore.dbtypes import utcnow
from bookstore.deals.models import DealClaim
from bookstore.extensions import db
from tests.accounts.helpers import log_in
from tests.deals.builders import make_deal, make_member
from tests.factories import TEST_PASSWORD, make_user


@pytest.fixture
def deal_id(app):
    with app.app_context():
        deal = make_deal("Spring sale", now=utcnow(), limit=10, description="Ten percent off.")
        db.session.commit()
        return deal.id


def claims(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DealClaim))


def test_visitor_sees_the_deals_and_an_invitation_to_join(client, deal_id):
    page = client.get("/deals/").text
    assert "Spring sale" in page
    assert "10% off" in page
    assert "These deals are for members" in page
    assert "Become a member" in page
    assert "/claim" not in page


def test_non_member_customer_cannot_claim(app, client, deal_id):
    with app.app_context():
        make_user("plain@example.com")
        db.session.commit()
    log_in(client, "plain@example.com")
    assert "/claim" not in client.get("/deals/").text
    response = client.post(f"/deals/{deal_id}/claim", follow_redirects=True)
    assert "membership is not active" in response.text
    assert claims(app) == 0


def test_member_claims_a_deal_and_sees_it_claimed(app, client, deal_id):
    with app.app_context():
        make_member("member@example.com", now=utcnow())
        db.session.commit()
    log_in(client, "member@example.com")
    page = client.get("/deals/").text
    assert f'action="/deals/{deal_id}/claim"' in page
    assert "10 of 10" in page
    response = client.post(f"/deals/{deal_id}/claim", follow_redirects=True)
    assert "You claimed “Spring sale”" in response.text
    assert "Claimed: choose it in your cart." in response.text
    assert "9 of 10" in response.text
    again = client.post(f"/deals/{deal_id}/claim", follow_redirects=True)
    assert "You have already claimed “Spring sale”" in again.text
    assert claims(app) == 1


def test_claiming_needs_a_login(client, deal_id):
    response = client.post(f"/deals/{deal_id}/claim")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_claiming_a_missing_deal_says_so(app, client):
    with app.app_context():
        make_member("member@example.com", now=utcnow())
        db.session.commit()
    log_in(client, "member@example.com")
    response = client.post("/deals/999999/claim", follow_redirects=True)
    assert "That deal does not exist." in response.text


def test_membership_page_says_what_it_costs(make_app):
    client = make_app(MEMBERSHIP_PRICE_CENTS=4200).test_client()
    page = client.get("/membership").text
    assert "$42.00" in page
    assert "What members get" in page
    assert len(re.findall(r"<h1[ >]", page)) == 1


def test_membership_page_names_the_member_discount_that_needs_no_claim(app, client):
    assert "nothing to claim" not in client.get("/membership").text  # none open
    with app.app_context():
        make_deal("Members save 15% on every book", now=utcnow(), value=1500)
        make_deal("First 25 members: $10 off", now=utcnow(), limit=25)  # claimed on /deals
        db.session.commit()
    page = client.get("/membership").text
    [standing] = re.findall(r"<li><strong>([^<]+)</strong>, until [^:]+: nothing to claim", page)
    assert standing == "Members save 15% on every book"


def test_member_sees_the_badge_and_end_date_on_the_membership_and_account_pages(app, client):
    with app.app_context():
        member = make_member("member@example.com", now=utcnow())
        db.session.commit()
        from bookstore.members.services import membership_end
        from bookstore.shoptime import to_shop_time

        # Customer pages show dates in the shop's time zone.
        end = to_shop_time(membership_end(member, utcnow()))
    log_in(client, "member@example.com")
    assert end.strftime("%-d %B %Y") in client.get("/membership").text
    account = client.get("/account/").text
    assert "member-badge" in account
    assert end.strftime("%-d %B %Y") in account


def test_the_deals_page_offers_the_digest_sign_up(client):
    assert 'action="/digest/subscribe"' in client.get("/deals/").text


def csrf_token_of(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]


def test_claim_needs_its_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_member("member@example.com", now=utcnow())
        deal_id = make_deal(now=utcnow()).id
        db.session.commit()
    client = app.test_client()
    token = csrf_token_of(client.get("/account/login").text)
    client.post(
        "/account/login",
        data={"email": "member@example.com", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert client.post(f"/deals/{deal_id}/claim").status_code == 400
    assert claims(app) == 0
    token = csrf_token_of(client.get("/deals/").text)
    response = client.post(f"/deals/{deal_id}/claim", data={"csrf_token": token})
    assert response.status_code == 302
    assert claims(app) == 1


def test_the_header_shows_a_member_badge_only_to_members(app, client):
    with app.app_context():
        make_member("member@example.com", now=utcnow())
        db.session.commit()
    assert "member-badge" not in client.get("/books").text
    log_in(client, "member@example.com")
    header = client.get("/books").text.split("</header>")[0]
    assert '<span class="member-badge">Member</span>' in header
