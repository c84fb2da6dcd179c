"""Staff keep what shipping abroad costs (screen and CLI); the demo shop has rates abroad."""

import pytest
from sqlalchemy import select

from bookstore.extensions import db
from bookstore.shipping.models import ShippingRate
from bookstore.staff.models import AuditEntry

CANADA = {"country": "CA", "standard": "14", "extra_copy": "3", "express": "35", "free_over": ""}


def _rates(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(ShippingRate).order_by(ShippingRate.country))
        return [
            (r.country, r.standard_cents, r.extra_copy_cents, r.express_cents, r.free_over_cents)
            for r in rows
        ]


def test_staff_add_a_country_and_everywhere_else(app, staff_client):
    page = staff_client.get("/staff/shipping").get_data(as_text=True)
    assert "Parcels within the United States cost $5.00; express $15.00; free from $50.00" in page
    assert "No rates abroad" in page
    assert staff_client.post("/staff/shipping", data=CANADA).status_code == 303
    elsewhere = {"country": "", "standard": "22.50", "extra_copy": "", "express": ""}
    assert (
        staff_client.post("/staff/shipping", data={**elsewhere, "free_over": "200"}).status_code
        == 303
    )
    assert _rates(app) == [("", 2250, 0, None, 20000), ("CA", 1400, 300, 3500, None)]
    page = staff_client.get("/staff/shipping").get_data(as_text=True)
    assert (
        "Shipping to Everywhere else abroad saved: $22.50; no express; free from $200.00." in page
    )
    rows = page.split("<tbody>")[1]
    assert rows.index("Canada") < rows.index("Everywhere else abroad")
    assert "Not offered" in rows
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["shipping_rate.create", "shipping_rate.create"]


def test_business_days_are_kept_and_shown(app, staff_client):
    days = {**CANADA, "standard_days": " 7 - 12 ", "express_days": "4"}
    assert staff_client.post("/staff/shipping", data=days).status_code == 303
    with app.app_context():
        rate = db.session.scalars(select(ShippingRate)).one()
        assert (rate.standard_days, rate.express_days) == ("7-12", "4")
    page = staff_client.get("/staff/shipping").get_data(as_text=True)
    assert "standard 7-12, express 4" in page
    no_express = {**days, "express": ""}  # days for a method that does not go there: dropped
    assert staff_client.post("/staff/shipping", data=no_express).status_code == 303
    with app.app_context():
        rate = db.session.scalars(select(ShippingRate)).one()
        assert (rate.standard_days, rate.express_days) == ("7-12", "")


def test_the_same_country_again_changes_its_rate(app, staff_client):
    staff_client.post("/staff/shipping", data=CANADA)
    [rate_id] = [r for (r,) in _ids(app)]
    form = staff_client.get(f"/staff/shipping?edit={rate_id}").get_data(as_text=True)
    assert "Change shipping to Canada" in form
    assert 'value="14.00"' in form
    changed = {**CANADA, "standard": "16", "express": ""}
    assert staff_client.post("/staff/shipping", data=changed).status_code == 303
    assert _rates(app) == [("CA", 1600, 300, None, None)]
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.before["standard_cents"]) == ("shipping_rate.update", 1400)


def _ids(app):
    with app.app_context():
        return db.session.execute(select(ShippingRate.id)).all()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"standard": "lots"}, "Standard shipping: &#39;lots&#39; is not an amount"),
        ({"standard": "-3"}, "Standard shipping: &#39;-3&#39; is not an amount"),
        ({"express": "14.999"}, "Express shipping: &#39;14.999&#39; is not an amount"),
        ({"free_over": "2000"}, "Free from: give an amount from $0.00 to $1,000.00"),
        ({"country": "US"}, "Country: choose one from the list."),
        ({"country": "XX"}, "Country: choose one from the list."),
        ({"standard": ""}, "Give what standard shipping costs."),
        ({"standard_days": "soon"}, "Standard takes: give business days such as 7-12"),
        ({"express_days": "12-7"}, "Express takes: give business days such as 7-12"),
        ({"standard_days": "0"}, "Standard takes: give business days from 1 to 90."),
        ({"standard_days": "5-120"}, "Standard takes: give business days from 1 to 90."),
    ],
)
def test_a_bad_rate_is_refused_with_a_reason_and_nothing_kept(app, staff_client, changes, message):
    response = staff_client.post("/staff/shipping", data={**CANADA, **changes})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _rates(app) == []


def test_a_country_is_removed(app, staff_client):
    staff_client.post("/staff/shipping", data=CANADA)
    [(rate_id,)] = _ids(app)
    assert staff_client.post(f"/staff/shipping/{rate_id}/remove").status_code == 303
    assert _rates(app) == []
    again = staff_client.post(f"/staff/shipping/{rate_id}/remove", follow_redirects=True)
    assert "already removed" in again.get_data(as_text=True)


def test_readers_cannot_see_or_change_shipping(app, customer_client):
    assert customer_client.get("/staff/shipping").status_code in (302, 403)
    assert customer_client.post("/staff/shipping", data=CANADA).status_code in (302, 403)
    assert _rates(app) == []


def test_the_cli_sets_lists_and_removes_rates(app, runner):
    added = runner.invoke(args=["shipping", "set", "ca", "--standard", "14", "--extra", "3"])
    assert added.exit_code == 0, added.output
    assert "Added CA: $14.00, $3.00 each copy after the first; no express." in added.output
    elsewhere = runner.invoke(
        args=["shipping", "set", "elsewhere", "--standard", "22", "--free-over", "200"]
        + ["--standard-days", "10-25"]
    )
    assert (
        "Added elsewhere: $22.00 (10-25 business days); no express; free from $200.00."
        in elsewhere.output
    )
    listed = runner.invoke(args=["shipping", "list"]).output.splitlines()
    assert listed[0].startswith("US        $5.00; express $15.00; free from $50.00")
    assert listed[1:] == [
        "CA        $14.00, $3.00 each copy after the first; no express",
        "elsewhere $22.00 (10-25 business days); no express; free from $200.00",
    ]
    bad = runner.invoke(args=["shipping", "set", "CA", "--standard", "lots"])
    assert bad.exit_code != 0
    assert "is not an amount" in bad.output
    home = runner.invoke(args=["shipping", "set", "US", "--standard", "7"])
    assert home.exit_code != 0
    assert "US is the shop's own" in home.output
    assert "Removed CA" in runner.invoke(args=["shipping", "remove", "CA"]).output
    missing = runner.invoke(args=["shipping", "remove", "CA"])
    assert (missing.exit_code, "No shipping rate for CA." in missing.output) == (1, True)
    assert _rates(app) == [("", 2200, 0, None, 20000)]


def test_the_demo_shop_ships_abroad_at_its_own_rates(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "2 shipping rates abroad added." in result.output
    assert _rates(app) == [("", 2200, 600, None, None), ("CA", 1400, 300, 3500, None)]
    with app.app_context():
        days = db.session.execute(
            select(ShippingRate.country, ShippingRate.standard_days, ShippingRate.express_days)
        )
        assert set(days) == {("", "10-25", ""), ("CA", "7-12", "3-5")}
    again = runner.invoke(args=["demo", "load"])
    assert "0 shipping rates abroad added." in again.output
