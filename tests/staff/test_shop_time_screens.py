"""Staff type and read dates and times in the shop's time zone (America/New_York here);
the database keeps UTC."""

from datetime import UTC, datetime

from sqlalchemy import select

from bookstore.deals.models import Deal
from bookstore.extensions import db
from bookstore.journal.models import Post
from bookstore.members.models import Membership
from tests.factories import make_user


def test_a_deal_window_is_typed_and_shown_in_shop_time(app, staff_client):
    form = staff_client.get("/staff/deals/new").get_data(as_text=True)
    assert "Starts (America/New_York time)" in form
    response = staff_client.post(
        "/staff/deals/new",
        data={
            "title": "Summer reading",
            "kind": "percent_off",
            "value": "10",
            "scope": "order",
            # New York is UTC-4 in July.
            "starts_at": "2030-07-01T09:00",
            "ends_at": "2030-07-31T23:59",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        deal = db.session.scalar(select(Deal))
        assert deal.starts_at == datetime(2030, 7, 1, 13, 0, tzinfo=UTC)
        assert deal.ends_at == datetime(2030, 8, 1, 3, 59, tzinfo=UTC)
        deal_id = deal.id
    listing = staff_client.get("/staff/deals").get_data(as_text=True)
    assert "2030-07-01 09:00 – 2030-07-31 23:59" in listing
    assert "Window (America/New_York)" in listing
    edit = staff_client.get(f"/staff/deals/{deal_id}").get_data(as_text=True)
    assert 'value="2030-07-31T23:59"' in edit
    assert "Jul 1, 2030 9:00 AM EDT" in edit


def test_a_post_time_round_trips_through_the_form_in_shop_time(app, staff_client):
    response = staff_client.post(
        "/staff/posts/new",
        data={"title": "Winter notes", "published_at": "2025-01-20T18:30", "save": "1"},
    )
    assert response.status_code == 303
    with app.app_context():
        post = db.session.scalar(select(Post))
        assert post.published_at == datetime(2025, 1, 20, 23, 30, tzinfo=UTC)
        post_id = post.id
    edit = staff_client.get(f"/staff/posts/{post_id}").get_data(as_text=True)
    assert 'value="2025-01-20T18:30"' in edit
    assert "2025-01-20 18:30" in staff_client.get("/staff/posts").get_data(as_text=True)


def test_a_membership_granted_until_a_date_lasts_to_the_end_of_that_day_in_the_shop(
    app, staff_client
):
    with app.app_context():
        make_user("reader@example.com")
        db.session.commit()
    staff_client.post(
        "/staff/members",
        data={"email": "reader@example.com", "until": "2031-03-01", "reason": "prize"},
    )
    with app.app_context():
        ends = db.session.scalar(select(Membership.ends_at))
    # 23:59:59 on 1 March in New York (UTC-5) is early on 2 March in UTC.
    assert ends.astimezone(UTC).replace(microsecond=0) == datetime(
        2031, 3, 2, 4, 59, 59, tzinfo=UTC
    )
    listing = staff_client.get("/staff/members").get_data(as_text=True)
    assert "<td>2031-03-01</td>" in listing
