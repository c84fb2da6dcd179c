"""Staff browse the audit log and narrow it by action, person, kind of record and date."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from bookstore.accounts.models import Role
from bookstore.catalog.models import Contributor
from bookstore.extensions import db
from bookstore.staff.models import AuditEntry
from tests.factories import make_book, make_user
from tests.staff.helpers import log_in


@pytest.fixture
def three_changes(app, staff_client):
    """Sam received stock on 10 January 2024; Pat changed a price and renamed an author today."""
    with app.app_context():
        book = make_book("Murder at the Dacha", authors=("Alexi Bayer",), on_hand=2)
        edition = book.editions[0]
        edition_id, isbn = edition.id, edition.isbn13
        author_id = db.session.scalar(select(Contributor.id))
        pat = make_user("pat@example.com", name="Pat Packer", role=Role.STAFF)
        db.session.commit()
        pat_client = app.test_client()
        log_in(pat_client, pat)

    received = staff_client.post(
        f"/staff/editions/{edition_id}/receive", data={"receive-quantity": "5"}
    )
    assert received.status_code == 303
    with app.app_context():
        db.session.execute(
            update(AuditEntry)
            .where(AuditEntry.action == "stock.receive")
            .values(created_at=datetime(2024, 1, 10, 9, 30, tzinfo=UTC))
        )
        db.session.commit()
    priced = pat_client.post(
        f"/staff/editions/{edition_id}",
        data={"format": "paperback", "isbn13": isbn, "price": "17.50"},
    )
    assert priced.status_code == 303
    renamed = pat_client.post(
        f"/staff/catalog/contributors/{author_id}", data={"name": "Alexei Bayer"}
    )
    assert renamed.status_code == 303


def listed(client, query: str = "") -> list[str]:
    """The actions the audit log screen lists for a query string, top to bottom."""
    response = client.get(f"/staff/audit{query}")
    assert response.status_code == 200
    return re.findall(r"<td>([a-z_]+\.[a-z_]+)</td>", response.get_data(as_text=True))


def test_the_log_lists_every_change_newest_first_with_who_and_what(staff_client, three_changes):
    assert listed(staff_client) == ["contributors.update", "edition.update", "stock.receive"]
    page = staff_client.get("/staff/audit").get_data(as_text=True)
    assert "<td>pat@example.com</td>" in page
    assert "<td>staff@example.com</td>" in page
    assert "+5 Murder at the Dacha (paperback)" in page
    # Shown in the shop's time zone: 09:30 UTC is 04:30 in New York.
    assert "2024-01-10 04:30" in page
    assert "When (America/New_York)" in page


@pytest.mark.parametrize(
    ("query", "actions"),
    [
        ("?action=stock.", ["stock.receive"]),
        ("?action=edition", ["edition.update"]),
        ("?action=order.", []),
        ("?actor=pat@example.com", ["contributors.update", "edition.update"]),
        ("?actor=STAFF@Example.com", ["stock.receive"]),
        ("?actor=nobody@example.com", []),
        ("?entity=edition", ["edition.update", "stock.receive"]),
        ("?entity=contributors", ["contributors.update"]),
        ("?since=2024-01-11", ["contributors.update", "edition.update"]),
        ("?until=2024-01-10", ["stock.receive"]),
        ("?since=2024-01-10&until=2024-01-10", ["stock.receive"]),
        ("?until=2024-01-09", []),
        ("?actor=pat@example.com&entity=edition", ["edition.update"]),
        (
            "?since=last-week&until=31/12/2099",
            ["contributors.update", "edition.update", "stock.receive"],
        ),
    ],
)
def test_filters_narrow_the_log(staff_client, three_changes, query, actions):
    assert listed(staff_client, query) == actions


def test_no_match_says_so(staff_client, three_changes):
    page = staff_client.get("/staff/audit?action=deal.").get_data(as_text=True)
    assert "No entries match." in page
