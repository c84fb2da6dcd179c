"""Membership terms: granting, ending, buying and renewing; history is kept."""

from datetime import UTC, datetime, timedelta

import pytest

from bookstore.errors import InvalidInput, NotFound
from bookstore.members.models import MembershipSource
from bookstore.members.services import (
    add_years,
    end_membership,
    extend_by_year,
    grant_membership,
    is_member,
    membership_end,
    membership_history,
    membership_status,
    user_by_email,
)
from tests.factories import make_user

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_a_new_user_is_not_a_member():
    user = make_user()
    assert not is_member(user, NOW)
    assert membership_status(user, NOW).is_member is False


def test_anonymous_visitor_is_not_a_member():
    assert not is_member(None, NOW)


def test_granted_member_is_a_member_until_the_end_date():
    user = make_user()
    until = NOW + timedelta(days=30)
    grant_membership(user, until=until, actor=None, reason="press", now=NOW)
    assert is_member(user, NOW)
    assert is_member(user, until - timedelta(seconds=1))
    assert not is_member(user, until)
    assert membership_status(user, NOW).ends_at == until


def test_grant_needs_a_reason_and_a_future_date():
    user = make_user()
    with pytest.raises(InvalidInput, match="why"):
        grant_membership(user, until=NOW + timedelta(days=1), actor=None, reason=" ", now=NOW)
    with pytest.raises(InvalidInput, match="future"):
        grant_membership(user, until=NOW, actor=None, reason="x", now=NOW)


def test_grant_records_who_granted_it():
    staff = make_user(role="staff")
    user = make_user()
    term = grant_membership(
        user, until=NOW + timedelta(days=9), actor=staff, reason="contest", now=NOW
    )
    assert term.granted_by_id == staff.id
    assert term.source is MembershipSource.GRANT


def test_buying_a_year_starts_now_for_a_non_member():
    user = make_user()
    term = extend_by_year(user, now=NOW, order_id=None)
    assert (term.starts_at, term.ends_at) == (NOW, add_years(NOW))
    assert term.source is MembershipSource.PURCHASE


def test_renewal_before_expiry_extends_from_the_current_end_date():
    user = make_user()
    first = extend_by_year(user, now=NOW)
    renewal_time = NOW + timedelta(days=300)
    second = extend_by_year(user, now=renewal_time)
    assert second.starts_at == first.ends_at
    assert membership_end(user, renewal_time) == add_years(NOW, 2)


def test_renewal_after_expiry_starts_from_the_day_of_payment():
    user = make_user()
    extend_by_year(user, now=NOW)
    later = NOW + timedelta(days=400)
    term = extend_by_year(user, now=later)
    assert term.starts_at == later


def test_ending_a_membership_keeps_the_history():
    staff = make_user(role="staff")
    user = make_user()
    grant_membership(user, until=NOW + timedelta(days=30), actor=None, reason="gift", now=NOW)
    later = NOW + timedelta(days=5)
    assert end_membership(user, actor=staff, reason="refund", now=later) == 1
    assert not is_member(user, later)
    [term] = membership_history(user)
    assert (term.ends_at, term.end_reason, term.ended_by_id) == (later, "refund", staff.id)


def test_ending_cancels_a_renewal_paid_in_advance():
    user = make_user()
    extend_by_year(user, now=NOW)
    extend_by_year(user, now=NOW + timedelta(days=10))
    assert end_membership(user, actor=None, reason="fraud", now=NOW + timedelta(days=20)) == 2
    assert not is_member(user, NOW + timedelta(days=500))


def test_ending_needs_a_reason_and_a_member():
    user = make_user()
    with pytest.raises(InvalidInput, match="not a member"):
        end_membership(user, actor=None, reason="x", now=NOW)
    with pytest.raises(InvalidInput, match="why"):
        end_membership(user, actor=None, reason="", now=NOW)


def test_add_years_turns_leap_day_into_the_last_of_february():
    assert add_years(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(2029, 2, 28, tzinfo=UTC)


def test_user_by_email_ignores_case_and_says_when_missing():
    user = make_user("Reader@Example.com")
    assert user_by_email(" READER@example.com ") == user
    with pytest.raises(NotFound, match="nobody@example.com"):
        user_by_email("nobody@example.com")
