"""Sales tax rates: how places are matched, rates typed, and tax rounded."""

import pytest

from bookstore.checkout.models import Order
from bookstore.errors import InvalidInput
from bookstore.extensions import db
from bookstore.tax.models import TaxRate
from bookstore.tax.services import (
    Place,
    RateSpec,
    TaxableLine,
    moved_place_note,
    normalise_region,
    parse_rate,
    quote_tax,
    rate_for,
    rate_label,
    set_rate,
    tax_on,
)


@pytest.mark.parametrize("typed", ["VT", "vt", "V.T.", "Vermont", " vermont ", "VERMONT"])
def test_a_state_is_known_by_its_code_or_name(typed):
    assert normalise_region("US", typed) == "VT"


def test_provinces_are_known_by_name_and_other_countries_keep_their_text():
    assert normalise_region("CA", "British  Columbia") == "BC"
    assert normalise_region("GB", "Greater London") == "GREATER LONDON"
    assert normalise_region("US", "Atlantis") == "ATLANTIS"


@pytest.mark.parametrize(
    ("typed", "rate"), [("6", 6000), ("6%", 6000), (" 8.875 ", 8875), ("0.5", 500), ("30", 30000)]
)
def test_a_rate_is_typed_as_a_percentage(typed, rate):
    assert parse_rate(typed) == rate
    assert parse_rate(rate_label(rate)) == rate


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("six", "not a percentage"),
        ("", "not a percentage"),
        ("6.0001", "at most three decimals"),
        ("NaN", "at most three decimals"),
        ("0", "above 0"),
        ("-6", "above 0"),
        ("60", "at most 30"),
    ],
)
def test_a_rate_that_is_not_one_says_why(typed, message):
    with pytest.raises(InvalidInput, match=message):
        parse_rate(typed)


def test_labels_drop_trailing_zeros():
    assert [rate_label(r) for r in (6000, 6250, 8875, 10000)] == ["6%", "6.25%", "8.875%", "10%"]


def test_tax_is_rounded_half_up_to_the_cent():
    assert tax_on(1000, 6000) == 60
    assert tax_on(1234, 6000) == 74  # 74.04
    assert tax_on(25, 6000) == 2  # 1.5
    assert tax_on(24, 6000) == 1  # 1.44
    assert tax_on(1999, 8875) == 177  # 177.41
    assert tax_on(0, 6000) == tax_on(-500, 6000) == 0


def test_a_states_own_rate_comes_before_its_countrys(app_ctx):
    set_rate(RateSpec("US", "", "US sales tax", 5000), actor_id=None)
    set_rate(RateSpec("us", "Vermont", "Vermont sales tax", 6000), actor_id=None)
    assert rate_for(Place("US", "vt")).name == "Vermont sales tax"
    assert rate_for(Place("US", "NY")).name == "US sales tax"
    assert rate_for(Place("CA", "ON")) is None
    assert rate_for(Place("", "")) is None


def test_setting_a_place_again_changes_its_rate_and_says_what_it_was(app_ctx):
    first, before = set_rate(RateSpec("US", "VT", "Vermont sales tax", 6000), actor_id=None)
    assert before is None
    again, before = set_rate(
        RateSpec("US", "vermont", "Vermont tax", 7000, taxes_shipping=False), actor_id=None
    )
    assert again.id == first.id
    assert (before["rate"], before["name"]) == (6000, "Vermont sales tax")
    assert (again.rate, again.name, again.taxes_shipping) == (7000, "Vermont tax", False)
    assert db.session.query(TaxRate).count() == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (RateSpec("USA", "VT", "Vermont", 6000), "two-letter code"),
        (RateSpec("U1", "VT", "Vermont", 6000), "two-letter code"),
        (RateSpec("US", "VT", "  ", 6000), "Name"),
        (RateSpec("US", "VT", "x" * 81, 6000), "Name"),
        (RateSpec("US", "x" * 101, "Somewhere", 6000), "at most 100"),
        (RateSpec("US", "VT", "Vermont", 0), "above 0"),
        (RateSpec("US", "VT", "Vermont", 30001), "at most 30"),
    ],
)
def test_a_rate_that_cannot_be_kept_is_refused(app_ctx, spec, message):
    with pytest.raises(InvalidInput, match=message):
        set_rate(spec, actor_id=None)
    assert db.session.query(TaxRate).count() == 0


def _rate(**fields):
    values = {"name": "Vermont sales tax", "rate": 6000, "taxes_shipping": True}
    values.update(fields)
    values.setdefault("taxes_ebooks", True)
    return TaxRate(country="US", region="VT", **values)


def test_each_line_is_taxed_on_what_it_costs_and_shipping_and_wrap_besides():
    lines = [TaxableLine(1, True, 1999), TaxableLine(2, False, 999)]
    quote = quote_tax(_rate(), lines, shipping_cents=500, wrap_cents=400)
    assert quote.line_cents == {1: 120, 2: 60}
    assert quote.other_cents == 30 + 24
    assert quote.cents == 234
    assert quote.label == "Vermont sales tax (6%)"


def test_a_rate_may_leave_shipping_and_ebooks_untaxed():
    lines = [TaxableLine(1, True, 1999), TaxableLine(2, False, 999)]
    quote = quote_tax(
        _rate(taxes_shipping=False, taxes_ebooks=False), lines, shipping_cents=500, wrap_cents=0
    )
    assert (quote.line_cents, quote.other_cents) == ({1: 120}, 0)


def test_no_rate_or_nothing_to_tax_is_no_tax():
    none = quote_tax(None, [TaxableLine(1, True, 1999)], shipping_cents=500, wrap_cents=0)
    assert none.cents == 0
    free = quote_tax(_rate(), [TaxableLine(1, True, 0)], shipping_cents=0, wrap_cents=0)
    assert (free.cents, free.label) == (0, "")


def test_staff_hear_what_a_parcel_sent_elsewhere_owes(app_ctx):
    set_rate(RateSpec("US", "VT", "Vermont sales tax", 6000), actor_id=None)
    charged = Order(
        tax_cents=126,
        tax_label="Vermont sales tax (6%)",
        tax_country="US",
        tax_region="VT",
        currency="USD",
    )
    assert moved_place_note(charged, Place("US", "Vermont")) == ""
    assert moved_place_note(charged, Place("US", "NY")) == (
        "The order was charged Vermont sales tax (6%), $1.26, which stays as it was; "
        "the new address owes no sales tax."
    )
    untaxed = Order(tax_cents=0, currency="USD")
    assert moved_place_note(untaxed, Place("US", "vt")) == (
        "The order was charged no sales tax; the new address owes Vermont sales tax (6%)."
    )
    assert moved_place_note(untaxed, Place("US", "NY")) == ""
