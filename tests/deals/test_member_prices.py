"""Member prices where members look: a standing (unlimited) member discount applies by itself.

Members see the price they pay on book cards, book pages, search results and cart lines, and
checkout charges exactly that; everyone else sees "Members pay $13.60" with a link to join.
"""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.dbtypes import utcnow
from bookstore.deals.models import Deal, DealClaim, DealKind, DealScope
from bookstore.deals.services import claim_deal
from bookstore.extensions import db
from bookstore.page_cache import PageCacheGeneration
from tests.accounts.helpers import log_in
from tests.checkout.shoppers import Buyer, order_state
from tests.deals.builders import make_deal, make_member
from tests.factories import make_book, make_user

MEMBER_PRICE = re.compile(r'class="price price-member">(?:from )?(\$[0-9.]+)<')
MEMBERS_PAY = re.compile(r'class="members-pay" href="/membership">Members pay (\$[0-9.]+)<')


def standing_discount(now, **fields):
    """The demo's standing discount: 15% off every book for members, no claim, no limit."""
    spec = {"kind": DealKind.PERCENT_OFF, "value": 1500, "scope": DealScope.ORDER}
    spec.update(fields)
    return make_deal("Members save 15% on every book", now=now, **spec)


@pytest.fixture
def shop_with_discount(app):
    with app.app_context():
        now = utcnow()
        standing_discount(now)
        book = make_book("Murder at the Dacha", price_cents=1600, on_hand=5)
        make_member("vera@example.com", name="Vera Figner", now=now)
        make_user("anna@example.com", name="Anna Pavlova")
        db.session.commit()
        return book.slug, book.editions[0].id


def signed_in(app, email):
    client = app.test_client()
    assert log_in(client, email).status_code in (302, 303)
    client.get("/account/")  # clears the welcome message
    return client


PAGES = ["/books/{slug}", "/books", "/search?q=dacha"]


def test_a_member_sees_the_price_they_pay_everywhere_books_are_shown(app, shop_with_discount):
    slug, _ = shop_with_discount
    member = signed_in(app, "vera@example.com")
    for url in PAGES:
        for _ in range(2):  # rendered, then from the page cache
            page = member.get(url.format(slug=slug)).text
            assert MEMBER_PRICE.findall(page) == ["$13.60"], url
            assert "usually <s>$16.00</s>" in page
            assert "Members pay" not in page


@pytest.mark.parametrize("who", ["guest", "customer"])
def test_a_visitor_who_is_not_a_member_sees_what_members_pay(app, shop_with_discount, who):
    slug, _ = shop_with_discount
    client = app.test_client() if who == "guest" else signed_in(app, "anna@example.com")
    for url in PAGES:
        for _ in range(2):
            page = client.get(url.format(slug=slug)).text
            assert MEMBERS_PAY.findall(page) == ["$13.60"], url
            assert '<span class="price">$16.00</span>' in page
            assert "price-member" not in page


def test_the_member_cart_shows_member_prices_and_one_total(app, shop_with_discount):
    _, edition_id = shop_with_discount
    member = Buyer(app, signed_in(app, "vera@example.com"))
    member.add(edition_id, 2)
    page = member.client.get("/cart").text
    assert "data-line-total>$27.20<" in page  # 2 × $16.00 less 15%
    assert "&minus;$4.80" in page
    assert len(re.findall(r"data-cart-total>", page)) == 1, "one total"
    assert "Total with your deal" not in page


def test_checkout_and_stripe_charge_the_price_the_member_saw(shop, stripe_sandbox):
    with shop.app_context():
        now = utcnow()
        standing_discount(now)
        edition = make_book("Murder at the Dacha", price_cents=1600, on_hand=5).editions[0]
        make_member("vera@example.com", name="Vera Figner", now=now)
        db.session.commit()
        edition_id = edition.id
    member = Buyer(shop, signed_in(shop, "vera@example.com"))
    member.add(edition_id, 2)
    cart_total = re.search(r"data-cart-total>(\$[0-9.]+)<", member.client.get("/cart").text)[1]
    checkout = member.checkout(email="vera@example.com")
    order = order_state(shop, checkout.reference)
    assert (order.subtotal_cents, order.discount_cents) == (3200, 480)
    assert f"${order.total_cents / 100:.2f}" == cart_total
    items = stripe_sandbox.client().v1.checkout.sessions.line_items.list(checkout.session_id)
    assert sum(item.amount_total for item in items.data) == order.total_cents


def test_a_claimed_limited_deal_applies_where_it_saves_more(app, shop_with_discount):
    _, edition_id = shop_with_discount
    with app.app_context():
        now = utcnow()
        vera = db.session.scalar(select(User).where(User.email == "vera@example.com"))
        better = make_deal("Half price weekend", now=now, value=5000, limit=5)
        worse = make_deal("A dollar off", now=now, kind=DealKind.AMOUNT_OFF, value=100, limit=5)
        claims = {
            "better": claim_deal(better, vera, now).id,
            "worse": claim_deal(worse, vera, now).id,
        }
        db.session.commit()
    buyer = Buyer(app, signed_in(app, "vera@example.com"))
    buyer.add(edition_id, 1)
    page = buyer.client.post(
        "/deals/cart/choose", data={"claim_id": claims["worse"]}, follow_redirects=True
    ).text
    assert "Not applied: your member prices save more." in page
    assert "data-line-total>$13.60<" in page
    page = buyer.client.post(
        "/deals/cart/choose", data={"claim_id": claims["better"]}, follow_redirects=True
    ).text
    assert "data-line-total>$8.00<" in page  # half of $16.00 beats 15% off


def test_claimed_deals_apply_by_themselves_where_they_save_the_most(shop, stripe_sandbox):
    with shop.app_context():
        now = utcnow()
        standing_discount(now)
        edition = make_book("Murder at the Dacha", price_cents=1600, on_hand=5).editions[0]
        vera = make_member("vera@example.com", name="Vera Figner", now=now)
        worse = make_deal("A dollar off", now=now, kind=DealKind.AMOUNT_OFF, value=100, limit=5)
        better = make_deal("Half price weekend", now=now, value=5000, limit=5)
        claims = {"worse": claim_deal(worse, vera, now).id}
        db.session.commit()
        edition_id, better_id, vera_id = edition.id, better.id, vera.id
    buyer = Buyer(shop, signed_in(shop, "vera@example.com"))
    buyer.add(edition_id, 1)
    # Nothing chosen: the standing 15% beats a dollar off, and the dollar claim is kept.
    page = buyer.client.get("/cart").text
    assert "data-line-total>$13.60<" in page
    assert "Applied: it saves you the most" not in page
    with shop.app_context():
        half_price, member = db.session.get(Deal, better_id), db.session.get(User, vera_id)
        claims["better"] = claim_deal(half_price, member, utcnow()).id
        db.session.commit()
    page = buyer.client.get("/cart").text
    assert "data-line-total>$8.00<" in page  # half price, without choosing it
    assert page.count("Applied: it saves you the most") == 1
    checkout = buyer.checkout(email="vera@example.com")
    order = order_state(shop, checkout.reference)
    assert (order.subtotal_cents, order.discount_cents) == (1600, 800)
    with shop.app_context():
        spent = {name: db.session.get(DealClaim, i).order_id for name, i in claims.items()}
    assert spent == {"better": order.id, "worse": None}


def test_a_new_standing_discount_and_its_end_show_on_cached_pages(app, monkeypatch):
    with app.app_context():
        slug = make_book("Murder at the Dacha", price_cents=1600).slug
        db.session.commit()
    guest = app.test_client()
    guest.get(f"/books/{slug}")
    assert "Members pay" not in guest.get(f"/books/{slug}").text
    with app.app_context():
        standing_discount(utcnow(), ends_at=utcnow() + timedelta(hours=1))
        db.session.commit()
    page = guest.get(f"/books/{slug}")
    assert page.headers["X-Page-Cache"] == "miss"
    assert MEMBERS_PAY.findall(page.text) == ["$13.60"]
    # Kept no longer than the discount lasts.
    newest = list(app.extensions["page_cache"]["index"]._entries.values())[-1]
    assert newest.expires <= time.monotonic() + 3600 + 1


def test_a_list_of_member_prices_is_cached_no_longer_than_the_discount_lasts(app):
    """Each card's member price comes from one offer function per list, which bounds the
    page's cache life once for the list (the first card with a price)."""
    with app.app_context():
        for title in ("Murder at the Dacha", "The Yakutsk Wolf", "Winter Light"):
            make_book(title, price_cents=1600)
        standing_discount(utcnow(), ends_at=utcnow() + timedelta(minutes=2))
        db.session.commit()
    page = app.test_client().get("/books")
    assert page.headers["X-Page-Cache"] == "miss"
    assert MEMBERS_PAY.findall(page.text) == ["$13.60"] * 3
    newest = list(app.extensions["page_cache"]["index"]._entries.values())[-1]
    assert newest.expires <= time.monotonic() + 120 + 1  # not PAGE_CACHE_SECONDS' 600


def test_claiming_a_limited_deal_keeps_the_page_cache(app):
    with app.app_context():
        now = utcnow()
        deal = make_deal("First five", now=now, limit=5)
        member = make_member("vera@example.com", now=now)
        db.session.commit()
        before = db.session.scalar(select(PageCacheGeneration.value))
        claim_deal(deal, member, now)
        db.session.commit()
        assert db.session.scalar(select(PageCacheGeneration.value)) == before


def _members_pay_by_title(page: str) -> dict[str, str | None]:
    """Each card's title and the "Members pay" amount under it (None: no member price)."""
    found = {}
    for card in re.findall(r'<article class="book-card">.*?</article>', page, re.S):
        title = re.search(r'<h3 class="book-card-title">([^<]+)</h3>', card)
        amount = MEMBERS_PAY.search(card)
        assert title, card
        found[title.group(1)] = amount.group(1) if amount else None
    return found


@pytest.mark.parametrize("scope", ["formats", "books"])
def test_each_card_of_a_list_gets_its_own_editions_member_price(app, scope):
    """Cards of one list share the work of pricing (by format and price while deals cover
    whole orders or formats): each still shows its own editions' price, and only a book or
    format that a deal names gets one."""
    from bookstore.catalog.models import Format

    with app.app_context():
        # The factory prices an ebook $6 under its price_cents: two $10 books, one $20.
        named = make_book("The Named Book", formats=("ebook",), price_cents=1600)
        make_book("The Same Price Book", formats=("paperback",), price_cents=1000)
        make_book("The Dearer Ebook", formats=("ebook",), price_cents=2600)
        if scope == "formats":
            spec = {"scope": DealScope.FORMATS, "formats": (Format.EBOOK,)}
        else:
            spec = {"scope": DealScope.BOOKS, "book_ids": (named.id,)}
        standing_discount(utcnow(), value=2500, **spec)
        db.session.commit()
    cards = _members_pay_by_title(app.test_client().get("/books").text)
    expected = {"The Named Book": "$7.50", "The Same Price Book": None}
    expected["The Dearer Ebook"] = "$15.00" if scope == "formats" else None
    assert {title: cards.get(title, "missing") for title in expected} == expected
