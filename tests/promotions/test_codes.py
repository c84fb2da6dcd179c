"""Promotion codes at checkout: every refusal in words, the stacking rule, and a use's life
(reserved with the order, given back when it ends unpaid, counted for good when paid)."""

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from bookstore.checkout import services, workflow
from bookstore.checkout.states import OrderState
from bookstore.deals.models import DealScope
from bookstore.deals.orders import choose_deal, payment_line_items
from bookstore.deals.services import claim_deal
from bookstore.errors import InvalidInput, PromoCodeRefused
from bookstore.extensions import db
from bookstore.promotions import orders as promo_orders
from bookstore.promotions.models import CodeKind, CodeScope, PromoCode, PromoCodeUse, UseLimit
from bookstore.promotions.pricing import normalise_code
from bookstore.promotions.services import CodeSpec, set_active, update_code
from tests.checkout.helpers import make_cart
from tests.deals.builders import make_deal, make_member
from tests.factories import make_book, make_user
from tests.promotions.builders import NOW, make_code, place_with_code

pytestmark = pytest.mark.usefixtures("app_ctx")


def quote(cart, code, *, email="anna@example.com", now=NOW):
    return services.quote_cart(
        cart,
        shipping_method="standard",
        now=now,
        config=current_app.config,
        code=code,
        email=email,
    )


def paperback(price=2000, **fields):
    return make_book(price_cents=price, on_hand=20, **fields).editions[0]


def pay(order, now=NOW):
    # Not from its cart: emptying it with a bulk DELETE would leave stale lines in the
    # session that SQLite's reused row ids then collide with.
    order.cart_id = None
    workflow.transition(order, OrderState.PAID, actor="stripe", now=now)


def cancel(order, now=NOW):
    workflow.transition(order, OrderState.CANCELLED, actor="customer", now=now)


def test_codes_are_stored_upper_case_and_typed_in_any_case():
    make_code("  welcome 10 ")
    assert db.session.scalars(select(PromoCode.code)).all() == ["WELCOME10"]
    cart = make_cart((paperback(), 1))
    assert quote(cart, "Welcome10").code.discount_cents == 200
    assert normalise_code("we!come") == ""


def test_a_code_that_exists_already_is_refused_whatever_its_case():
    make_code("SPRING")
    with pytest.raises(InvalidInput, match="exists already"):
        make_code("spring")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "We do not know the code “NOPE”: check its spelling."),
        ({"starts_at": NOW + timedelta(days=1)}, "is not valid yet: it starts on"),
        ({"starts_at": NOW - timedelta(days=9), "ends_at": NOW}, "“SAVE10” expired on"),
        ({"min_order_cents": 5000}, "needs at least $50.00 of books (after member deals)"),
        ({"scope": CodeScope.FORMATS, "formats": ("ebook",)}, "does not apply to anything"),
        ({"use_limit": UseLimit.CUSTOMER}, "is for customers with an account: log in"),
    ],
)
def test_each_refusal_says_why(fields, message):
    make_code(**fields)
    cart = make_cart((paperback(), 1))
    typed = "nope" if not fields else "save10"
    priced = quote(cart, typed)
    assert message in priced.code.problem
    assert priced.promo_discount_cents == 0
    assert priced.total_cents == 2000 + 500
    with pytest.raises(PromoCodeRefused, match="code"):
        place_with_code(cart, typed)


def test_a_disabled_code_is_no_longer_valid():
    set_active(make_code(), False)
    assert quote(make_cart((paperback(), 1)), "SAVE10").code.problem == (
        "The code “SAVE10” is no longer valid."
    )


def test_a_used_up_code_says_so_and_its_uses_come_back_when_an_order_ends_unpaid():
    make_code(total_uses=1)
    first = place_with_code(make_cart((paperback(), 1)), "save10", email="a@example.com")
    second_cart = make_cart((paperback(), 1))
    assert quote(second_cart, "save10", email="b@example.com").code.problem == (
        "Sorry, the code “SAVE10” has been used up."
    )
    cancel(first)
    order = place_with_code(second_cart, "save10", email="b@example.com")
    assert order.promo_discount_cents == 200


def test_once_per_email_counts_a_reservation_frees_it_when_released_and_keeps_it_when_paid():
    make_code(use_limit=UseLimit.EMAIL)
    first = place_with_code(make_cart((paperback(), 1)), "SAVE10", email="Anna@Example.com")
    cart = make_cart((paperback(), 1))
    assert quote(cart, "SAVE10").code.problem == (
        "You have already used the code “SAVE10” with this email address."
    )
    assert quote(cart, "SAVE10", email="other@example.com").code.problem is None
    cancel(first)
    again = place_with_code(cart, "SAVE10")
    pay(again)
    assert "already used" in quote(make_cart((paperback(), 1)), "SAVE10").code.problem


def test_once_per_customer_follows_the_account_not_the_email():
    user = make_user("reader@example.com")
    make_code(use_limit=UseLimit.CUSTOMER)
    cart = make_cart((paperback(), 1), user=user)
    pay(place_with_code(cart, "SAVE10", user=user))
    assert quote(cart, "SAVE10", email="new@example.com").code.problem == (
        "You have already used the code “SAVE10”."
    )


def test_the_unique_row_refuses_a_second_use_even_when_the_check_was_passed():
    """Two checkouts by one shopper that both passed the check: the database keeps one."""
    make_code(use_limit=UseLimit.EMAIL, total_uses=5)
    cart = make_cart((paperback(), 1))
    passed = quote(cart, "SAVE10").code
    place_with_code(make_cart((paperback(), 1)), "SAVE10")
    order = place_with_code(cart, "")  # the same shopper, placed without the code
    with pytest.raises(PromoCodeRefused, match="already used"):
        promo_orders.reserve_use(
            order, passed, shopper=promo_orders.Shopper(None, "anna@example.com"), now=NOW
        )
    code = db.session.scalars(select(PromoCode)).one()
    db.session.refresh(code)
    assert code.remaining_uses == 4  # the refused row's decrement was undone


def test_first_order_only_refuses_a_shopper_with_a_paid_order():
    make_code(first_order_only=True)
    cart = make_cart((paperback(), 1))
    assert quote(cart, "SAVE10").code.problem is None
    pay(place_with_code(make_cart((paperback(), 1)), "SAVE10"))
    assert quote(cart, "SAVE10").code.problem == "The code “SAVE10” is for a first order only."


def test_a_code_comes_off_after_the_member_deal_and_never_off_shipping():
    member = make_member("member@example.com", now=NOW)
    deal = make_deal("Paperbacks", now=NOW, value=2000, scope=DealScope.ORDER)
    claim = claim_deal(deal, member, NOW)
    cart = make_cart((paperback(1000), 3), user=member)
    choose_deal(cart, claim.id, user=member, now=NOW)
    make_code(kind=CodeKind.PERCENT_OFF, value=1000)
    priced = quote(cart, "SAVE10", email="member@example.com")
    # $30.00 of books, 20 % member deal -> $24.00; 10 % code on that -> $2.40; shipping $5.
    assert (priced.goods_cents, priced.discount_cents, priced.promo_discount_cents) == (
        3000,
        600,
        240,
    )
    assert priced.total_cents == 3000 - 600 - 240 + priced.shipping_cents


def test_an_amount_off_code_only_covers_its_scope_and_never_goes_below_zero():
    hardcover = make_book(formats=("hardcover",), price_cents=300).editions[0]
    make_code(kind=CodeKind.AMOUNT_OFF, value=1000, scope=CodeScope.FORMATS, formats=("hardcover",))
    priced = quote(make_cart((paperback(), 1), (hardcover, 1)), "SAVE10")
    assert priced.promo_discount_cents == 300


def test_the_order_and_stripe_items_carry_the_discount_and_add_up_to_the_total():
    make_code(kind=CodeKind.AMOUNT_OFF, value=100)
    order = place_with_code(make_cart((paperback(1000), 3)), "save10")
    assert (order.promo_code, order.promo_discount_cents) == ("SAVE10", 100)
    items = payment_line_items(order, code_discounts=promo_orders.line_discounts(order.id))
    assert [(i["price_data"]["unit_amount"], i["quantity"]) for i in items] == [(966, 1), (967, 2)]
    assert sum(i["price_data"]["unit_amount"] * i["quantity"] for i in items) == (
        order.total_cents - order.shipping_cents
    )
    assert "code SAVE10" in items[0]["price_data"]["product_data"]["name"]


def test_a_use_is_reserved_then_redeemed_and_a_cancelled_one_released():
    make_code(total_uses=3)
    paid = place_with_code(make_cart((paperback(), 1)), "SAVE10")
    gone = place_with_code(make_cart((paperback(), 1)), "SAVE10")
    pay(paid)
    cancel(gone)
    states = dict(db.session.execute(select(PromoCodeUse.order_id, PromoCodeUse.state)).all())
    assert {k: v.value for k, v in states.items()} == {paid.id: "redeemed", gone.id: "released"}
    code = db.session.scalars(select(PromoCode)).one()
    db.session.refresh(code)
    assert code.remaining_uses == 2


def test_staff_cannot_lower_the_limit_below_the_uses_made():
    code = make_code(total_uses=3)
    place_with_code(make_cart((paperback(), 1)), "SAVE10", email="a@example.com")
    place_with_code(make_cart((paperback(), 1)), "SAVE10", email="b@example.com")
    spec = {
        "code": "SAVE10",
        "kind": CodeKind.PERCENT_OFF,
        "value": 1000,
        "scope": CodeScope.ALL,
        "starts_at": code.starts_at,
        "ends_at": code.ends_at,
    }
    with pytest.raises(InvalidInput, match="lower than the 2 uses"):
        update_code(code, CodeSpec(**spec, total_uses=1))
    update_code(code, CodeSpec(**spec, total_uses=10))
    assert (code.total_uses, code.remaining_uses) == (10, 8)
