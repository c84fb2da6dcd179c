"""Claiming deals: members only, inside the window, once each, never beyond the limit."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bookstore.catalog.models import Format
from bookstore.deals.models import ClaimState, DealClaim, DealKind, DealScope
from bookstore.deals.services import (
    DealSpec,
    claim_deal,
    claims_of,
    create_deal,
    open_deals,
    upcoming_deals,
    usable_claims,
)
from bookstore.errors import DealAlreadyClaimed, DealUnavailable, InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.members.services import end_membership
from tests.deals.builders import NOW, make_deal, make_member
from tests.factories import make_book, make_user

pytestmark = pytest.mark.usefixtures("app_ctx")


def claim_count(deal):
    return db.session.scalar(select(func.count()).where(DealClaim.deal_id == deal.id))


def test_member_claims_an_open_deal():
    member = make_member()
    deal = make_deal()
    claim = claim_deal(deal, member, NOW)
    assert claim.state is ClaimState.CLAIMED
    assert claims_of(member) == {deal.id: claim}


def test_claim_of_a_limited_deal_counts_down():
    deal = make_deal(limit=3)
    claim_deal(deal, make_member(), NOW)
    assert deal.remaining_claims == 2


def test_second_claim_of_same_deal_is_refused():
    member = make_member()
    deal = make_deal(limit=5)
    claim_deal(deal, member, NOW)
    with pytest.raises(DealAlreadyClaimed, match="already claimed"):
        claim_deal(deal, member, NOW)
    assert claim_count(deal) == 1
    assert deal.remaining_claims == 4


def test_sold_out_deal_is_refused_and_stays_at_zero():
    deal = make_deal(limit=1)
    claim_deal(deal, make_member(), NOW)
    with pytest.raises(DealUnavailable, match="fully claimed"):
        claim_deal(deal, make_member(), NOW)
    assert deal.remaining_claims == 0
    assert claim_count(deal) == 1


def test_non_member_cannot_claim():
    with pytest.raises(DealUnavailable, match="membership is not active"):
        claim_deal(make_deal(), make_user(), NOW)


def test_lapsed_membership_cannot_claim():
    member = make_member(now=NOW - timedelta(days=400), days=365)
    with pytest.raises(DealUnavailable, match="membership is not active"):
        claim_deal(make_deal(), member, NOW)


def test_ended_membership_cannot_claim():
    member = make_member()
    end_membership(member, actor=None, reason="chargeback", now=NOW - timedelta(minutes=1))
    with pytest.raises(DealUnavailable, match="membership is not active"):
        claim_deal(make_deal(), member, NOW)


def test_deal_not_yet_started_cannot_be_claimed():
    deal = make_deal(starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=3))
    with pytest.raises(DealUnavailable, match="opens on 30 November 2026"):
        claim_deal(deal, make_member(), NOW)


def test_ended_deal_cannot_be_claimed():
    deal = make_deal(starts_at=NOW - timedelta(days=3), ends_at=NOW)
    with pytest.raises(DealUnavailable, match="has ended"):
        claim_deal(deal, make_member(), NOW)


def test_unlimited_deal_takes_any_number_of_claims():
    deal = make_deal(limit=None)
    for _ in range(5):
        claim_deal(deal, make_member(), NOW)
    assert claim_count(deal) == 5
    assert deal.remaining_claims is None


def test_open_and_upcoming_deals_are_listed_by_window():
    open_deal = make_deal("Open")
    later = make_deal("Later", starts_at=NOW + timedelta(days=2), ends_at=NOW + timedelta(days=9))
    make_deal("Over", starts_at=NOW - timedelta(days=9), ends_at=NOW - timedelta(days=1))
    assert open_deals(NOW) == [open_deal]
    assert upcoming_deals(NOW) == [later]


def test_usable_claims_skip_redeemed_ones_and_closed_deals():
    member = make_member()
    keep = claim_deal(make_deal("Keep"), member, NOW)
    used = claim_deal(make_deal("Used"), member, NOW)
    used.state = ClaimState.REDEEMED
    closing = make_deal("Closing", ends_at=NOW + timedelta(hours=1))
    claim_deal(closing, member, NOW)
    assert usable_claims(member, NOW + timedelta(hours=2)) == [keep]


def test_deal_on_books_keeps_its_targets():
    book = make_book()
    deal = make_deal(scope=DealScope.BOOKS, book_ids=(book.id,))
    assert deal.terms().book_ids == {book.id}


def test_deal_on_formats_keeps_its_formats():
    deal = make_deal(scope=DealScope.FORMATS, formats=(Format.EBOOK, Format.EBOOK))
    assert deal.terms().formats == {"ebook"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": 0}, "more than zero"),
        ({"value": 10_001}, "100%"),
        ({"ends_at": NOW - timedelta(days=2)}, "end after it starts"),
        ({"total_claims": 0}, "at least one claim"),
        ({"scope": DealScope.BOOKS}, "needs at least one"),
        ({"kind": DealKind.FIXED_PRICE, "value": 900}, "fixed price needs"),
        ({"title": "  "}, "needs a title"),
    ],
)
def test_senseless_deal_is_refused_with_a_reason(fields, message):
    spec = {
        "title": "Bad",
        "kind": DealKind.PERCENT_OFF,
        "value": 1000,
        "scope": DealScope.ORDER,
        "starts_at": NOW - timedelta(days=1),
        "ends_at": NOW + timedelta(days=1),
    }
    spec.update(fields)
    with pytest.raises(InvalidInput, match=message):
        create_deal(DealSpec(**spec), actor=None)


def test_deal_on_a_missing_book_is_refused():
    with pytest.raises(NotFound):
        make_deal(scope=DealScope.BOOKS, book_ids=(999_999,))


def test_two_deals_with_the_same_title_get_distinct_slugs():
    assert make_deal("Spring sale").slug != make_deal("Spring sale").slug


def test_database_refuses_a_negative_remaining_count():
    deal = make_deal(limit=1)
    deal.remaining_claims = -1
    with pytest.raises(Exception, match="(?i)check"):
        db.session.flush()
    db.session.rollback()
