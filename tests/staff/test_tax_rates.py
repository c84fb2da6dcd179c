"""Staff keep the sales tax rates (screen and CLI) and read what was collected each month."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from bookstore.staff.models import AuditEntry
from bookstore.tax.models import TaxRate, TaxRefund
from bookstore.tax.services import RateSpec, set_rate
from tests.staff.helpers import make_order

VERMONT = {
    "country": "US",
    "region": "Vermont",
    "name": "Vermont sales tax",
    "rate": "6",
    "taxes_shipping": "y",
    "taxes_ebooks": "y",
}


def _rates(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(TaxRate).order_by(TaxRate.id))
        return [
            (r.country, r.region, r.name, r.rate, r.taxes_shipping, r.taxes_ebooks) for r in rows
        ]


def test_staff_add_a_rate_and_the_log_says_so(app, staff_client):
    page = staff_client.get("/staff/tax")
    assert page.status_code == 200
    assert b"No rates: no order pays sales tax." in page.data
    response = staff_client.post("/staff/tax", data=VERMONT)
    assert response.status_code == 303
    assert _rates(app) == [("US", "VT", "Vermont sales tax", 6000, True, True)]
    page = staff_client.get("/staff/tax").get_data(as_text=True)
    assert "Sales tax for VT, United States saved: 6%." in page
    assert "Vermont sales tax" in page
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.before, entry.after["rate"]) == ("tax_rate.create", None, 6000)


def test_the_same_place_again_changes_its_rate(app, staff_client):
    staff_client.post("/staff/tax", data=VERMONT)
    changed = {**VERMONT, "region": "vt", "rate": "6.5", "taxes_shipping": ""}
    del changed["taxes_shipping"]
    assert staff_client.post("/staff/tax", data=changed).status_code == 303
    assert _rates(app) == [("US", "VT", "Vermont sales tax", 6500, False, True)]
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["tax_rate.create", "tax_rate.update"]


def test_change_fills_the_form_with_the_rate(app, staff_client):
    with app.app_context():
        rate, _ = set_rate(RateSpec("US", "NY", "New York sales tax", 8875), actor_id=None)
        db.session.commit()
        rate_id = rate.id
    page = staff_client.get(f"/staff/tax?edit={rate_id}").get_data(as_text=True)
    assert "Change the rate for NY, United States" in page
    assert 'value="8.875"' in page
    assert 'value="New York sales tax"' in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rate": "six"}, "is not a percentage"),
        ({"rate": "60"}, "at most 30"),
        ({"rate": "6.12345"}, "at most three decimals"),
        ({"rate": ""}, "Give the rate."),
        ({"name": ""}, "Give the tax&#39;s name."),
        ({"country": "ZZ"}, "Not a valid choice"),
        ({"region": "x" * 101}, "100 characters"),
    ],
)
def test_a_bad_rate_is_refused_with_a_reason_and_nothing_kept(app, staff_client, changes, message):
    response = staff_client.post("/staff/tax", data={**VERMONT, **changes})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _rates(app) == []


@pytest.mark.parametrize(
    "query",
    [
        "?edit=abc",
        "?edit=99999",
        "?edit=1" + "0" * 30,
        "?month=x",
        "?month=9999-12",
        "?month=0001-01",
    ],
)
def test_odd_addresses_show_the_page(staff_client, query):
    assert staff_client.get(f"/staff/tax{query}").status_code == 200


def test_a_rate_is_removed(app, staff_client):
    staff_client.post("/staff/tax", data=VERMONT)
    [rate_id] = [r.id for r in _rate_rows(app)]
    response = staff_client.post(f"/staff/tax/{rate_id}/remove")
    assert response.status_code == 303
    assert _rates(app) == []
    again = staff_client.post(f"/staff/tax/{rate_id}/remove", follow_redirects=True)
    assert b"That tax rate was already removed." in again.data


def _rate_rows(app):
    with app.app_context():
        rows = db.session.scalars(select(TaxRate)).all()
        db.session.expunge_all()
        return rows


def test_readers_cannot_see_or_change_the_rates(app, customer_client):
    assert customer_client.get("/staff/tax").status_code in (302, 403)
    assert customer_client.post("/staff/tax", data=VERMONT).status_code in (302, 403)
    assert _rates(app) == []


def _taxed(total, tax, *, paid_at, region="VT", country="US", state=OrderState.PAID):
    order = make_order(total, state=state, paid_at=paid_at)
    order.tax_cents, order.tax_country, order.tax_region = tax, country, region
    return order


def _refund_tax(order, cents, at):
    step = TaxRefund(order_id=order.id, refunded_to_cents=cents, cents=cents, created_at=at)
    db.session.add(step)


def test_the_month_shows_the_tax_charged_and_refunded_by_place(app, staff_client):
    november = datetime(2026, 11, 10, 15, tzinfo=UTC)
    with app.app_context():
        _taxed(2120, 120, paid_at=november)
        _taxed(1060, 60, paid_at=november, state=OrderState.SHIPPED)
        partly = _taxed(1060, 60, paid_at=november, state=OrderState.PARTIALLY_REFUNDED)
        _refund_tax(partly, 30, datetime(2026, 12, 2, 15, tzinfo=UTC))
        whole = _taxed(1060, 60, paid_at=november, state=OrderState.REFUNDED)
        _refund_tax(whole, 60, datetime(2026, 11, 20, 15, tzinfo=UTC))
        _taxed(1080, 80, paid_at=november, region="ON", country="CA")
        _taxed(1060, 60, paid_at=datetime(2026, 12, 1, 4, 59, tzinfo=UTC))  # Nov 30, 11:59 pm
        _taxed(1060, 60, paid_at=datetime(2026, 12, 1, 5, 0, tzinfo=UTC))  # Dec 1 in Vermont
        _taxed(1000, 0, paid_at=november, region="NY")  # no tax there
        _taxed(1060, 60, paid_at=None, state=OrderState.CANCELLED)  # never paid
        older = _taxed(1060, 60, paid_at=datetime(2026, 9, 1, tzinfo=UTC), region="ME")
        _refund_tax(older, 60, datetime(2026, 11, 3, 15, tzinfo=UTC))  # paid in September
        db.session.commit()
    page = staff_client.get("/staff/tax?month=2026-11").get_data(as_text=True)
    assert "Collected in November 2026" in page
    assert '<td data-label="Tax refunded">' in page  # phones show each cell's heading
    rows = re.sub(' data-label="[^"]+"', "", page.split("Net tax</th>")[1].split("</table>")[0])
    # Place, orders paid, tax charged, refunds, tax refunded, net.
    vermont = "<td>5</td><td>$3.60</td><td>1</td><td>-$0.60</td><td>$3.00</td>"
    assert f'<th scope="row">VT, United States</th>{vermont}' in rows
    ontario = "<td>1</td><td>$0.80</td><td>0</td><td>$0.00</td><td>$0.80</td>"
    assert f'<th scope="row">ON, Canada</th>{ontario}' in rows
    maine = "<td>0</td><td>$0.00</td><td>1</td><td>-$0.60</td><td>-$0.60</td>"
    assert f'<th scope="row">ME, United States</th>{maine}' in rows
    all_places = "<td>6</td><td>$4.40</td><td>2</td><td>-$1.20</td><td>$3.20</td>"
    assert f'<th scope="row">All places</th>{all_places}' in rows
    assert "NY" not in rows
    december = staff_client.get("/staff/tax?month=2026-12").get_data(as_text=True)
    december = re.sub(' data-label="[^"]+"', "", december)
    assert "<td>1</td><td>$0.60</td><td>1</td><td>-$0.30</td><td>$0.30</td>" in december
    assert "All places" not in december
    assert "No sales tax was charged or refunded that month." in staff_client.get(
        "/staff/tax?month=2026-10"
    ).get_data(as_text=True)


def test_the_cli_sets_lists_and_removes_rates(app, runner):
    added = runner.invoke(args=["tax", "set", "us", "Vermont", "--rate", "6", "--name", "VT tax"])
    assert added.exit_code == 0, added.output
    assert "Added US/VT: 6%." in added.output
    changed = runner.invoke(
        args=["tax", "set", "US", "VT", "--rate", "6.25", "--name", "VT tax", "--no-shipping"]
    )
    assert "Changed US/VT: 6.25%." in changed.output
    listed = runner.invoke(args=["tax", "list"])
    assert "US/VT       6.25%  VT tax (also on ebooks)" in listed.output
    bad = runner.invoke(args=["tax", "set", "US", "NY", "--rate", "lots", "--name", "NY"])
    assert bad.exit_code != 0
    assert "not a percentage" in bad.output
    removed = runner.invoke(args=["tax", "remove", "US", "vt"])
    assert "Removed US/VT" in removed.output
    missing = runner.invoke(args=["tax", "remove", "US", "VT"])
    assert missing.exit_code != 0
    assert "No rate for US/VT." in missing.output
    assert _rates(app) == []
