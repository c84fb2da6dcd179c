"""``flask deals`` and ``flask members``: create and list deals, grant and end memberships."""

from datetime import timedelta

from sqlalchemy import select

from bookstore.accounts.models import User
from bookstore.dbtypes import utcnow
from bookstore.deals.models import Deal, DealKind, DealScope
from bookstore.deals.services import open_deals, upcoming_deals
from bookstore.demo.deals import load_demo_deals
from bookstore.extensions import db
from bookstore.members.services import is_member, membership_status
from tests.factories import make_book, make_user


def test_members_grant_makes_a_member_until_the_end_of_that_day(app, runner):
    with app.app_context():
        make_user("ana@example.com")
        db.session.commit()
    until = (utcnow() + timedelta(days=10)).date()
    result = runner.invoke(args=["members", "grant", "Ana@example.com", "--until", str(until)])
    assert result.exit_code == 0, result.output
    assert f"until {until}" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="ana@example.com"))
        status = membership_status(user, utcnow())
        assert status.is_member
        assert status.ends_at.date() == until


def test_members_grant_for_an_unknown_address_says_so(runner):
    result = runner.invoke(args=["members", "grant", "ghost@example.com", "--until", "2099-01-01"])
    assert result.exit_code == 1
    assert "No account with the address ghost@example.com" in result.output


def test_members_grant_with_a_bad_date_is_refused(runner):
    result = runner.invoke(args=["members", "grant", "a@example.com", "--until", "next week"])
    assert result.exit_code == 2
    assert "--until" in result.output


def test_members_end_needs_a_reason_and_ends_now(app, runner):
    with app.app_context():
        make_user("bo@example.com")
        db.session.commit()
    runner.invoke(args=["members", "grant", "bo@example.com", "--until", "2099-01-01"])
    assert runner.invoke(args=["members", "end", "bo@example.com"]).exit_code == 2
    result = runner.invoke(args=["members", "end", "bo@example.com", "--reason", "asked to"])
    assert result.exit_code == 0, result.output
    assert "no longer a member" in result.output
    assert "is not a member" in runner.invoke(args=["members", "show", "bo@example.com"]).output
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(email="bo@example.com"))
        assert not is_member(user, utcnow())


def test_deals_create_percent_off_on_books(app, runner):
    with app.app_context():
        slug = make_book("War and Peace").slug
        db.session.commit()
    result = runner.invoke(
        args=[
            "deals", "create", "--title", "Tolstoy week", "--kind", "percent_off",
            "--value", "12.5%", "--scope", "books", "--target", slug,
            "--ends", "2099-01-01", "--limit", "10", "--min-order", "20",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "12.5% off" in result.output
    with app.app_context():
        deal = db.session.scalar(select(Deal))
        assert (deal.kind, deal.value, deal.scope) == (DealKind.PERCENT_OFF, 1250, DealScope.BOOKS)
        assert (deal.total_claims, deal.remaining_claims, deal.min_order_cents) == (10, 10, 2000)
        assert [b.slug for b in deal.books] == [slug]


def test_deals_create_with_stacks_makes_a_deal_that_stacks(app, runner):
    base = ["deals", "create", "--kind", "amount_off", "--value", "5", "--ends", "2099-01-01"]
    alone = runner.invoke(args=[*base, "--title", "Alone"])
    stacking = runner.invoke(args=[*base, "--title", "Together", "--stacks"])
    assert alone.exit_code == 0, alone.output
    assert stacking.exit_code == 0, stacking.output
    with app.app_context():
        stacks = dict(db.session.execute(select(Deal.title, Deal.stacks_with_others)).all())
    assert stacks == {"Alone": False, "Together": True}
    listed = runner.invoke(args=["deals", "list"]).output.splitlines()
    [together] = [line for line in listed if "Together" in line]
    [alone_line] = [line for line in listed if "Alone" in line]
    assert together.endswith("; stacks")
    assert "stacks" not in alone_line


def test_deals_create_refuses_an_unknown_target(runner):
    result = runner.invoke(
        args=[
            "deals", "create", "--title", "X", "--kind", "amount_off", "--value", "5",
            "--scope", "books", "--target", "no-such-book", "--ends", "2099-01-01",
        ]
    )  # fmt: skip
    assert result.exit_code == 2
    assert "no book called 'no-such-book'" in result.output


def test_deals_create_explains_a_senseless_deal(runner):
    result = runner.invoke(
        args=[
            "deals", "create", "--title", "X", "--kind", "percent_off", "--value", "150",
            "--ends", "2099-01-01",
        ]
    )  # fmt: skip
    assert result.exit_code == 1
    assert "cannot be more than 100%" in result.output


def test_deals_list_shows_state_and_claims_left(app, runner):
    assert "No deals yet" in runner.invoke(args=["deals", "list"]).output
    with app.app_context():
        load_demo_deals(utcnow())
        db.session.commit()
    output = runner.invoke(args=["deals", "list"]).output
    assert output.count("open") == 2
    assert "upcoming" in output
    assert "25/25 left" in output


def test_demo_deals_are_two_open_one_limited_and_one_upcoming_and_load_once(app_ctx):
    now = utcnow()
    assert load_demo_deals(now) == 3
    assert load_demo_deals(now) == 0
    open_now = open_deals(now)
    assert len(open_now) == 2
    assert [d.is_limited for d in open_now].count(True) == 1
    assert len(upcoming_deals(now)) == 1
