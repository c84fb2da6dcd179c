"""What each step of a guest's order costs in SQL statements and cart pricings, pinned.

The benchmark's buyer (``tests/bench/shoppers.py``) takes these steps one order after another
while the catalog is browsed: each statement here is paid on every order. A change that adds
one (pricing the cart twice, reading again what the request holds) should be a choice, made
by changing the figure below, never an accident.
"""

import re
from collections import Counter, defaultdict

import pytest
from flask import has_request_context, request
from sqlalchemy import event

from bookstore.cart import pricing
from bookstore.catalog.models import Edition
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from tests.checkout.shoppers import order_state
from tests.factories import make_book

# (method, path) -> statements, for a guest buying one paperback with standard shipping.
STATEMENTS = {
    ("POST", "/cart/add"): 5,  # new cart, edition with book, copies free, line upsert, line
    # Cart, lines, authors, copies free (the header counts the lines); whether sales tax may
    # follow at checkout and whether shipping abroad costs otherwise (notes under the total).
    # A US address's shipping asks nothing (the shop's own terms are settings).
    ("GET", "/cart"): 6,
    # Cart, lines, copies free, wrap offer; with no address yet, whether any sales tax may
    # follow (a note beside the total).
    ("GET", "/checkout"): 5,
    ("POST", "/checkout"): 4,  # cart, lines, copies free, wrap offer
    ("GET", "/checkout/review"): 4,  # cart, lines, copies free, the address's tax rate
    # The quote (3) with the address's tax rate (1), earlier checkouts (1), the order, its
    # line and history (3), the hold (3), the attempt (1), gift wrap and gift membership for
    # Stripe's line items (2), the session.
    ("POST", "/checkout/place"): 15,
    # The event (2), the order, paid, the order again after the move, its lines (4), the
    # sale (5), the checkout window (1), the gift membership (1), the cart (1), what the
    # order adds (2), the email's editions (1), its job and the history line (2); and here,
    # where jobs run inline after the commit, the email's job (2). A guest's order has no
    # membership or deal claims, and an order without a code no code's use.
    ("POST", "/stripe/webhook"): 20,
    # After the webhook: the order, what it adds (2), header count, lines (no ebook: no links).
    ("GET", "/checkout/success"): 5,
}
# The steps that show amounts price the cart once each; adding to it prices nothing.
PRICINGS = {
    ("GET", "/cart"): 1,
    ("GET", "/checkout"): 1,
    ("POST", "/checkout"): 1,
    ("GET", "/checkout/review"): 1,
    ("POST", "/checkout/place"): 1,
}


@pytest.fixture
def journey_costs(shop, monkeypatch):
    """Statements and cart pricings of each request, by (method, path), as they happen."""
    statements: dict[tuple[str, str], list[str]] = defaultdict(list)
    pricings: Counter[tuple[str, str]] = Counter()

    def step() -> tuple[str, str] | None:
        return (request.method, request.path) if has_request_context() else None

    def note_statement(conn, cursor, statement, *args):
        if (key := step()) is not None:
            statements[key].append(statement)

    price_cart = pricing.price_cart

    def counted_price_cart(*args, **kwargs):
        if (key := step()) is not None:
            pricings[key] += 1
        return price_cart(*args, **kwargs)

    monkeypatch.setattr("bookstore.cart.services.price_cart", counted_price_cart)
    monkeypatch.setattr("bookstore.cart.views.price_cart", counted_price_cart)
    monkeypatch.setattr("bookstore.checkout.services.price_cart", counted_price_cart)
    with shop.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note_statement)
    yield statements, pricings
    event.remove(engine, "before_cursor_execute", note_statement)


def test_each_step_of_a_guest_order_costs_what_it_did(shop, buyer, stripe_sandbox, journey_costs):
    with shop.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=5).editions[0].id
        db.session.commit()
    statements, pricings = journey_costs
    # The layout's fixed parts are rendered once per process (``web.same_for_every_page``).
    assert buyer.client.get("/").status_code == 200

    buyer.add(edition_id)
    assert buyer.client.get("/cart").status_code == 200
    assert buyer.client.get("/checkout").status_code == 200
    checkout = buyer.checkout()
    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    page = buyer.follow(paid.location)

    assert "your order is confirmed" in page.get_data(as_text=True)
    assert order_state(shop, checkout.reference).state is OrderState.PAID
    counts = {key: len(statements[key]) for key in STATEMENTS}
    assert counts == STATEMENTS, "\n\n".join(
        f"{key}: {len(statements[key])}\n  " + "\n  ".join(s[:100] for s in statements[key])
        for key in STATEMENTS
        if len(statements[key]) != STATEMENTS[key]
    )
    assert {key: pricings[key] for key in STATEMENTS} == {
        key: PRICINGS.get(key, 0) for key in STATEMENTS
    }


def test_the_header_counts_what_the_cart_holds_on_the_pages_that_read_it(shop, buyer):
    with shop.app_context():
        plenty = make_book("Murder at the Dacha", on_hand=5).editions[0].id
        short = make_book("Davai!", on_hand=3).editions[0].id
        db.session.commit()
    buyer.add(plenty, 2)
    buyer.add(short, 3)
    with shop.app_context():
        db.session.get(Edition, short).on_hand = 1  # two of the copies asked for are gone
        db.session.commit()

    def count(path: str) -> str:
        page = buyer.client.get(path).get_data(as_text=True)
        return re.search(r'class="cart-count"[^>]*>(\d+)<', page).group(1)

    # The checkout counts what the cart holds (the summary says what is short) ...
    assert count("/checkout") == "5"
    assert buyer.give_details().status_code == 303
    assert count("/checkout/review") == "5"
    # ... and the cart page what it holds once it has settled the short line.
    assert count("/cart") == "3"
    assert count("/checkout") == "3"
