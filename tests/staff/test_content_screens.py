"""Staff write journal posts, run member deals and grant or end memberships."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bookstore.deals.models import Deal, DealKind, DealScope
from bookstore.deals.services import DealSpec, claim_deal, create_deal
from bookstore.extensions import db
from bookstore.journal.models import Post
from bookstore.members.services import grant_membership, is_member
from bookstore.staff.models import AuditEntry
from tests.factories import make_book, make_user


def actions(app):
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_preview_renders_sanitised_markdown_without_saving(app, staff_client):
    response = staff_client.post(
        "/staff/posts/new",
        data={
            "title": "Treaty of 1950",
            "body_markdown": "**Bold** claim <script>alert(1)</script>",
            "preview": "1",
        },
    )
    assert response.status_code == 200
    assert b"<strong>Bold</strong>" in response.data
    assert b"<script>alert(1)" not in response.data
    with app.app_context():
        assert db.session.scalar(select(Post)) is None


def test_staff_publish_a_post_with_tags_and_related_books(app, staff_client):
    with app.app_context():
        book = make_book("Murder at the Dacha")
        isbn, slug = book.editions[0].isbn13, book.slug
        db.session.commit()
    response = staff_client.post(
        "/staff/posts/new",
        data={
            "title": "The Sino-Soviet Split",
            "body_markdown": "A *short* history.",
            "published_at": "2015-02-14T09:00",
            "tags": "History; Int'l Relations",
            "books": f"{isbn}\n",
            "save": "1",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        post = db.session.scalar(select(Post))
        assert [t.name for t in post.tags] == ["History", "Int'l Relations"]
        assert [b.slug for b in post.books] == [slug]
        # Typed in the shop's time zone (New York, UTC-5 in February), stored in UTC.
        assert post.published_at == datetime(2015, 2, 14, 14, 0, tzinfo=UTC)
    page = staff_client.get(f"/journal/{post.slug}")
    assert page.status_code == 200
    assert actions(app) == ["post.create"]


def test_unknown_related_book_is_refused(app, staff_client):
    response = staff_client.post(
        "/staff/posts/new",
        data={"title": "T", "books": "no-such-book", "save": "1"},
    )
    assert response.status_code == 400
    assert b"No book with the ISBN or slug" in response.data


def _window():
    now = datetime.now(UTC)
    return (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), (now + timedelta(days=7)).strftime(
        "%Y-%m-%dT%H:%M"
    )


def test_staff_create_a_limited_percent_deal(app, staff_client):
    starts, ends = _window()
    response = staff_client.post(
        "/staff/deals/new",
        data={
            "title": "Mystery week",
            "kind": "percent_off",
            "value": "15",
            "scope": "subjects",
            "targets": "Fiction",
            "starts_at": starts,
            "ends_at": ends,
            "total_claims": "10",
        },
    )
    assert response.status_code == 400  # no subject called Fiction yet
    assert b"Not found: &#39;Fiction&#39;" in response.data
    with app.app_context():
        make_book(subjects=("Fiction",))
        db.session.commit()
    response = staff_client.post(
        "/staff/deals/new",
        data={
            "title": "Mystery week",
            "kind": "percent_off",
            "value": "15",
            "scope": "subjects",
            "targets": "fiction",
            "starts_at": starts,
            "ends_at": ends,
            "total_claims": "10",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        deal = db.session.scalar(select(Deal))
        assert (deal.kind, deal.value, deal.scope) == (
            DealKind.PERCENT_OFF,
            1500,
            DealScope.SUBJECTS,
        )
        assert deal.remaining_claims == 10
    assert b"Mystery week" in staff_client.get("/staff/deals").data


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": "150"}, b"more than 100%"),
        ({"value": "abc"}, b"Value:"),
        ({"ends_at": "2020-01-01T00:00"}, b"end after it starts"),
        ({"scope": "editions", "targets": "9780000000002"}, b"Not found"),
    ],
)
def test_bad_deals_are_refused(app, staff_client, fields, message):
    starts, ends = _window()
    data = {
        "title": "Bad",
        "kind": "percent_off",
        "value": "10",
        "scope": "order",
        "starts_at": starts,
        "ends_at": ends,
        **fields,
    }
    response = staff_client.post("/staff/deals/new", data=data)
    assert response.status_code == 400
    assert message in response.data


def test_claim_limit_can_grow_but_not_below_claims_made(app, staff_client):
    now = datetime.now(UTC)
    with app.app_context():
        deal = create_deal(
            DealSpec(
                title="Two only",
                kind=DealKind.AMOUNT_OFF,
                value=300,
                scope=DealScope.ORDER,
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=1),
                total_claims=2,
            ),
            actor=None,
        )
        for n in range(2):
            member = make_user(f"m{n}@example.com")
            grant_membership(
                member, until=now + timedelta(days=30), actor=None, reason="t", now=now
            )
            claim_deal(deal, member, now)
        db.session.commit()
        deal_id = deal.id
    ends = (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page = staff_client.get(f"/staff/deals/{deal_id}")
    assert b"m0@example.com" in page.data
    shrink = staff_client.post(
        f"/staff/deals/{deal_id}", data={"title": "Two only", "ends_at": ends, "total_claims": "1"}
    )
    assert b"cannot be lower than the claims already made" in shrink.data
    grow = staff_client.post(
        f"/staff/deals/{deal_id}", data={"title": "Two only", "ends_at": ends, "total_claims": "5"}
    )
    assert grow.status_code == 303
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert (deal.total_claims, deal.remaining_claims) == (5, 3)
    assert "deal.update" in actions(app)


def test_staff_grant_and_end_a_membership(app, staff_client):
    with app.app_context():
        user = make_user("reader@example.com")
        db.session.commit()
        user_id = user.id
    until = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()
    missing_reason = staff_client.post(
        "/staff/members", data={"email": "reader@example.com", "until": until}
    )
    assert missing_reason.status_code == 400
    unknown = staff_client.post(
        "/staff/members", data={"email": "nobody@example.com", "until": until, "reason": "gift"}
    )
    assert b"No account with the address" in unknown.data
    granted = staff_client.post(
        "/staff/members", data={"email": "Reader@Example.com", "until": until, "reason": "gift"}
    )
    assert granted.status_code == 303
    assert b"reader@example.com" in staff_client.get("/staff/members").data
    with app.app_context():
        assert is_member(db.session.get(type(user), user_id), datetime.now(UTC))
    staff_client.post(f"/staff/members/{user_id}/end", data={"end-reason": "asked to stop"})
    with app.app_context():
        assert not is_member(db.session.get(type(user), user_id), datetime.now(UTC))
    assert actions(app)[-2:] == ["membership.grant", "membership.end"]


def test_digest_preview_for_members_and_subscribers(app, staff_client):
    with app.app_context():
        make_book("Fresh Off the Press", published_on=datetime.now(UTC).date())
        db.session.commit()
    page = staff_client.get("/staff/digest")
    assert page.status_code == 200
    assert b"Fresh Off the Press" in page.data
    assert b"<iframe" in page.data
    email = staff_client.get("/staff/digest/email.html?as=subscriber")
    assert b"Fresh Off the Press" in email.data
    policy = email.headers["Content-Security-Policy"]
    assert "script" not in policy
    assert "frame-ancestors 'self'" in policy
    bad_week = staff_client.get("/staff/digest?week=2026-W99")
    assert bad_week.status_code == 200
    assert b"Showing this week instead" in bad_week.data
