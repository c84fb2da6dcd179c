"""Deal rules: each kind, scope, window, minimum, stacking and the rounding in one place."""

from datetime import UTC, datetime, timedelta

import pytest

from bookstore.deals.pricing import (
    DealTerms,
    PricedLine,
    apply_deals,
    check_stacking,
    deal_problem,
    eligible_lines,
    offer_label,
    round_discount,
    split_for_payment,
)
from bookstore.errors import DealUnavailable

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HISTORY, POETRY = 1, 2


def line(key, price, qty=1, *, edition=None, book=None, subjects=(HISTORY,), fmt="paperback"):
    return PricedLine(
        key=key,
        edition_id=edition or key * 10,
        book_id=book or key * 100,
        subject_ids=frozenset(subjects),
        format=fmt,
        unit_price_cents=price,
        quantity=qty,
    )


def deal(kind="percent_off", value=1000, scope="order", *, id=1, **fields):
    defaults = {
        "title": f"Deal {id}",
        "starts_at": NOW - timedelta(days=1),
        "ends_at": NOW + timedelta(days=1),
    }
    defaults.update(fields)
    return DealTerms(id=id, kind=kind, value=value, scope=scope, **defaults)


# --- kinds -------------------------------------------------------------------------------


def test_percent_off_takes_the_share_of_each_eligible_line():
    pricing = apply_deals([line(1, 2000), line(2, 1000, 2)], [deal("percent_off", 2500)], NOW)
    assert pricing.line_discounts == {1: 500, 2: 500}
    assert pricing.subtotal_cents == 4000
    assert pricing.discount_cents == 1000
    assert pricing.total_cents == 3000


def test_amount_off_is_taken_once_from_the_eligible_lines():
    pricing = apply_deals([line(1, 3000), line(2, 1000)], [deal("amount_off", 800)], NOW)
    assert pricing.discount_cents == 800
    assert pricing.line_discounts == {1: 600, 2: 200}


def test_amount_off_shares_odd_cents_exactly():
    lines = [line(1, 1000), line(2, 1000), line(3, 1000)]
    pricing = apply_deals(lines, [deal("amount_off", 100)], NOW)
    assert sum(pricing.line_discounts.values()) == 100
    assert sorted(pricing.line_discounts.values()) == [33, 33, 34]


def test_fixed_price_caps_each_eligible_copy():
    pricing = apply_deals([line(1, 1600, 3)], [deal("fixed_price", 999)], NOW)
    assert pricing.total_cents == 3 * 999
    assert pricing.line_discounts == {1: 3 * (1600 - 999)}


def test_fixed_price_above_the_price_changes_nothing():
    pricing = apply_deals([line(1, 800)], [deal("fixed_price", 999)], NOW)
    assert pricing.discount_cents == 0
    assert pricing.total_cents == 800


@pytest.mark.parametrize(
    ("kind", "value", "label"),
    [
        ("percent_off", 1500, "15% off"),
        ("percent_off", 1250, "12.5% off"),
        ("amount_off", 500, "$5.00 off"),
        ("fixed_price", 999, "$9.99 each"),
    ],
)
def test_offer_label_reads_like_a_shop_sign(kind, value, label):
    assert offer_label(kind, value) == label


# --- never below zero ---------------------------------------------------------------------


def test_amount_off_larger_than_the_order_makes_it_free_not_negative():
    pricing = apply_deals([line(1, 500)], [deal("amount_off", 5000)], NOW)
    assert pricing.discount_cents == 500
    assert pricing.total_cents == 0


def test_hundred_percent_off_is_free_not_negative():
    pricing = apply_deals([line(1, 1999, 2)], [deal("percent_off", 10_000)], NOW)
    assert pricing.total_cents == 0


def test_stacked_deals_never_take_a_line_below_zero():
    deals = [
        deal("amount_off", 1500, id=1, stacks_with_others=True),
        deal("percent_off", 5000, id=2, stacks_with_others=True),
        deal("amount_off", 1000, id=3, stacks_with_others=True),
    ]
    pricing = apply_deals([line(1, 2000)], deals, NOW)
    assert pricing.total_cents == 0
    assert pricing.discount_cents == 2000


# --- rounding -------------------------------------------------------------------------------


def test_round_discount_rounds_up_so_the_shopper_pays_less():
    assert round_discount(29985, 100) == 300
    assert round_discount(30000, 100) == 300
    assert round_discount(1, 10_000) == 1
    assert round_discount(0, 100) == 0


def test_round_discount_refuses_a_zero_denominator():
    with pytest.raises(ValueError, match="denominator"):
        round_discount(1, 0)


def test_percent_off_fraction_of_a_cent_goes_to_the_shopper():
    # 15 % of $19.99 is $2.9985: the shopper saves $3.00 and pays $16.99.
    pricing = apply_deals([line(1, 1999)], [deal("percent_off", 1500)], NOW)
    assert pricing.discount_cents == 300
    assert pricing.total_cents == 1699


def test_percent_off_rounds_each_line_in_the_shoppers_favour():
    # 10 % of 5 cents is half a cent, per line: each line saves a whole cent.
    pricing = apply_deals([line(1, 5), line(2, 5)], [deal("percent_off", 1000)], NOW)
    assert pricing.line_discounts == {1: 1, 2: 1}


# --- scopes -------------------------------------------------------------------------------


def test_editions_scope_covers_only_the_named_editions():
    lines = [line(1, 1000, edition=11), line(2, 1000, edition=12)]
    terms = deal(scope="editions", edition_ids=frozenset({12}))
    assert [x.key for x in eligible_lines(terms, lines)] == [2]
    assert apply_deals(lines, [terms], NOW).line_discounts == {2: 100}


def test_books_scope_covers_every_format_of_the_book():
    lines = [line(1, 1000, book=7, fmt="paperback"), line(2, 600, book=7, fmt="ebook")]
    lines.append(line(3, 900, book=8))
    terms = deal(scope="books", book_ids=frozenset({7}))
    assert [x.key for x in eligible_lines(terms, lines)] == [1, 2]


def test_subjects_scope_covers_books_with_any_of_the_subjects():
    lines = [line(1, 1000, subjects=(HISTORY,)), line(2, 1000, subjects=(POETRY, 9))]
    lines.append(line(3, 1000, subjects=()))
    terms = deal(scope="subjects", subject_ids=frozenset({POETRY}))
    assert [x.key for x in eligible_lines(terms, lines)] == [2]


def test_formats_scope_covers_only_those_formats():
    lines = [line(1, 1000, fmt="paperback"), line(2, 1000, fmt="ebook")]
    terms = deal(scope="formats", formats=frozenset({"ebook"}))
    assert [x.key for x in eligible_lines(terms, lines)] == [2]


def test_order_scope_covers_every_line():
    lines = [line(1, 1000), line(2, 1000, fmt="ebook", subjects=())]
    assert len(eligible_lines(deal(scope="order"), lines)) == 2


def test_deal_with_no_eligible_line_is_refused_with_a_reason():
    terms = deal(scope="formats", formats=frozenset({"hardcover"}), title="Hardcover week")
    with pytest.raises(DealUnavailable, match="Nothing in your cart is covered"):
        apply_deals([line(1, 1000)], [terms], NOW)


def test_amount_off_on_a_scope_only_reduces_eligible_lines():
    lines = [line(1, 1000, fmt="ebook"), line(2, 3000, fmt="paperback")]
    terms = deal("amount_off", 500, scope="formats", formats=frozenset({"ebook"}))
    assert apply_deals(lines, [terms], NOW).line_discounts == {1: 500}


def test_unknown_scope_is_a_programming_error():
    with pytest.raises(ValueError, match="scope"):
        eligible_lines(deal(scope="galaxy"), [line(1, 100)])


# --- window ---------------------------------------------------------------------------------


def test_deal_before_its_start_is_refused():
    terms = deal(starts_at=NOW + timedelta(hours=1), ends_at=NOW + timedelta(days=2))
    assert "has not started" in deal_problem(terms, [line(1, 1000)], NOW)
    with pytest.raises(DealUnavailable, match="has not started"):
        apply_deals([line(1, 1000)], [terms], NOW)


def test_deal_applies_from_its_first_moment():
    terms = deal(starts_at=NOW, ends_at=NOW + timedelta(days=2))
    assert deal_problem(terms, [line(1, 1000)], NOW) is None


def test_deal_at_its_end_time_has_ended():
    terms = deal(starts_at=NOW - timedelta(days=2), ends_at=NOW)
    with pytest.raises(DealUnavailable, match="has ended"):
        apply_deals([line(1, 1000)], [terms], NOW)


# --- minimum order --------------------------------------------------------------------------


def test_minimum_order_not_reached_says_how_much_more_is_needed():
    terms = deal(min_order_cents=3000, title="Big basket")
    problem = deal_problem(terms, [line(1, 1000, 2)], NOW)
    assert problem == "“Big basket” needs an order of at least $30.00: add $10.00 more."


def test_minimum_order_counts_every_line_not_only_eligible_ones():
    lines = [line(1, 1000, fmt="ebook"), line(2, 2000, fmt="paperback")]
    terms = deal(scope="formats", formats=frozenset({"ebook"}), min_order_cents=3000)
    assert apply_deals(lines, [terms], NOW).line_discounts == {1: 100}


def test_minimum_order_exactly_reached_is_enough():
    assert deal_problem(deal(min_order_cents=2000), [line(1, 1000, 2)], NOW) is None


# --- stacking -------------------------------------------------------------------------------


def test_two_deals_that_do_not_stack_are_refused():
    deals = [deal(id=1, title="Spring"), deal(id=2, title="Poetry", stacks_with_others=True)]
    with pytest.raises(DealUnavailable, match="“Spring” cannot be combined"):
        apply_deals([line(1, 1000)], deals, NOW)


def test_one_deal_that_does_not_stack_is_fine_alone():
    check_stacking([deal(id=1)])


def test_deals_that_all_stack_apply_in_turn():
    deals = [
        deal("percent_off", 1000, id=2, stacks_with_others=True),
        deal("amount_off", 500, id=1, stacks_with_others=True),
    ]
    pricing = apply_deals([line(1, 2000)], deals, NOW)
    # By deal id: $5.00 off first, then 10 % of the $15.00 left.
    assert [a.deal_id for a in pricing.applied] == [1, 2]
    assert [a.discount_cents for a in pricing.applied] == [500, 150]
    assert pricing.total_cents == 1350


def test_the_same_deal_twice_is_refused():
    terms = deal(stacks_with_others=True)
    with pytest.raises(DealUnavailable, match="twice"):
        apply_deals([line(1, 1000)], [terms, terms], NOW)


def test_no_deal_leaves_the_prices_alone():
    pricing = apply_deals([line(1, 1000, 2)], [], NOW)
    assert (pricing.subtotal_cents, pricing.discount_cents, pricing.total_cents) == (2000, 0, 2000)
    assert pricing.line_discount(1) == 0


# --- payment lines --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "qty", "discount", "groups"),
    [
        (1000, 3, 100, [(966, 1), (967, 2)]),
        (1000, 2, 200, [(900, 2)]),
        (1000, 1, 1000, [(0, 1)]),
        (1999, 4, 0, [(1999, 4)]),
    ],
)
def test_split_for_payment_adds_up_to_the_discounted_total(price, qty, discount, groups):
    assert split_for_payment(price, qty, discount) == groups
    assert sum(a * q for a, q in groups) == price * qty - discount


def test_split_for_payment_refuses_a_discount_larger_than_the_line():
    with pytest.raises(ValueError, match="discount"):
        split_for_payment(100, 1, 101)
