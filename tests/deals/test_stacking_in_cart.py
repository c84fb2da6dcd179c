"""Choosing deals in the cart: a deal that does not stack replaces the one chosen before;
deals that all stack apply together (POST /deals/cart/choose, then the cart page)."""

import re

import pytest
from sqlalchemy import select

from bookstore.dbtypes import utcnow
from bookstore.deals.models import CartDealChoice, DealKind, DealScope
from bookstore.deals.services import claim_deal
from bookstore.extensions import db
from tests.accounts.helpers import log_in
from tests.checkout.shoppers import Buyer
from tests.deals.builders import make_deal, make_member
from tests.factories import make_book


@pytest.fixture
def two_claims(app):
    """Build a logged-in member holding claims on deals A and B, with a $20.00 book in the cart.

    A is 10% off the order, B is $5.00 off the order; each stacks or not as the test asks.
    Both are limited: an unlimited deal applies by itself, with no choosing (test_member_prices).
    """

    def build(*, a_stacks, b_stacks):
        with app.app_context():
            now = utcnow()
            member = make_member("member@example.com", now=now)
            a = make_deal(
                "Deal A",
                now=now,
                kind=DealKind.PERCENT_OFF,
                value=1000,
                scope=DealScope.ORDER,
                stacks_with_others=a_stacks,
                limit=10,
            )
            b = make_deal(
                "Deal B",
                now=now,
                kind=DealKind.AMOUNT_OFF,
                value=500,
                scope=DealScope.ORDER,
                stacks_with_others=b_stacks,
                limit=10,
            )
            claims = {"A": claim_deal(a, member, now).id, "B": claim_deal(b, member, now).id}
            edition = make_book("The Cherry Orchard", price_cents=2000, on_hand=5).editions[0]
            db.session.commit()
            edition_id = edition.id
        buyer = Buyer(app)
        assert log_in(buyer.client, "member@example.com").status_code in (302, 303)
        buyer.add(edition_id, 1)
        buyer.claims = claims
        return buyer

    return build


def choose(buyer, name):
    response = buyer.client.post(
        "/deals/cart/choose", data={"claim_id": buyer.claims[name]}, follow_redirects=True
    )
    assert response.status_code == 200
    return response.text


def deal_states(page):
    """For each deal listed in the cart: 'applied' or 'offered' (a 'Use this deal' button)."""
    states = {}
    for item in re.findall(r"<li>\s*<strong>(Deal [AB])</strong>(.*?)</li>", page, re.S):
        title, body = item
        if 'class="deal-claimed">Applied<' in body:
            states[title] = "applied"
        elif "Use this deal" in body:
            states[title] = "offered"
        else:
            states[title] = "other"
    return states


def saving(page):
    match = re.search(r"data-deal-saving>&minus;(\$[0-9.]+)<", page)
    return match[1] if match else None


def price_after(page):
    """The book's price after the deals: the cart line's total (the line shows the member
    price, with the usual $20.00 struck through)."""
    if "usually <s>$20.00</s>" not in page:
        return None
    match = re.search(r"data-line-total>(\$[0-9.]+)<", page)
    return match[1] if match else None


def chosen_claims(app):
    with app.app_context():
        return set(db.session.scalars(select(CartDealChoice.claim_id)))


@pytest.mark.parametrize(
    ("a_stacks", "b_stacks"),
    [(False, False), (True, False), (False, True)],
    ids=["neither-stacks", "only-a-stacks", "only-b-stacks"],
)
def test_a_deal_that_does_not_stack_replaces_the_one_chosen_before(
    app, two_claims, a_stacks, b_stacks
):
    buyer = two_claims(a_stacks=a_stacks, b_stacks=b_stacks)
    page = choose(buyer, "A")
    assert deal_states(page) == {"Deal A": "applied", "Deal B": "offered"}
    assert saving(page) == "$2.00"  # 10 % of $20.00
    assert price_after(page) == "$18.00"

    page = choose(buyer, "B")
    assert "“Deal B” is applied to your cart." in page
    assert deal_states(page) == {"Deal A": "offered", "Deal B": "applied"}
    assert saving(page) == "$5.00"
    assert price_after(page) == "$15.00"
    assert chosen_claims(app) == {buyer.claims["B"]}

    # The cart page on its own says the same: only B is applied.
    page = buyer.client.get("/cart").text
    assert deal_states(page) == {"Deal A": "offered", "Deal B": "applied"}
    assert saving(page) == "$5.00"


def test_deals_that_all_stack_are_both_kept_and_both_save(app, two_claims):
    buyer = two_claims(a_stacks=True, b_stacks=True)
    choose(buyer, "A")
    page = choose(buyer, "B")
    assert "“Deal B” is applied to your cart." in page
    assert deal_states(page) == {"Deal A": "applied", "Deal B": "applied"}
    # A first (10 % of $20.00 = $2.00), then B takes $5.00 off the $18.00 left.
    assert saving(page) == "$7.00"
    assert price_after(page) == "$13.00"
    assert chosen_claims(app) == {buyer.claims["A"], buyer.claims["B"]}
