"""Staff rename contributors, series and subjects and describe them; links keep working."""

import pytest
from sqlalchemy import select

from bookstore.catalog.models import Contributor, Series
from bookstore.extensions import db
from bookstore.staff.models import AuditEntry
from tests.factories import make_book


@pytest.fixture
def book(app):
    with app.app_context():
        book = make_book(authors=("Alexi Bayer",), series=("Matyushkin", 1), subjects=("Mystery",))
        db.session.commit()
        return book.id


def test_a_contributor_is_renamed_and_described_keeping_the_slug(app, staff_client, book):
    with app.app_context():
        person = db.session.scalar(select(Contributor))
        person_id, slug = person.id, person.slug
    listing = staff_client.get("/staff/catalog/contributors?q=bay")
    assert b"Alexi Bayer" in listing.data
    response = staff_client.post(
        f"/staff/catalog/contributors/{person_id}",
        data={"name": "Alexei Bayer", "text": "Economist and novelist."},
    )
    assert response.status_code == 303
    with app.app_context():
        person = db.session.get(Contributor, person_id)
        assert (person.name, person.bio, person.slug) == (
            "Alexei Bayer",
            "Economist and novelist.",
            slug,
        )
        entry = db.session.scalar(select(AuditEntry))
        assert entry.before == {"name": "Alexi Bayer", "bio": ""}
    assert b"Alexei Bayer" in staff_client.get(f"/authors/{slug}").data


def test_two_series_cannot_share_a_name(app, staff_client, book):
    with app.app_context():
        make_book(series=("Silk Road Trilogy", 1))
        db.session.commit()
        series_id = db.session.scalar(select(Series.id).where(Series.name == "Matyushkin"))
    response = staff_client.post(
        f"/staff/catalog/series/{series_id}", data={"name": "silk road trilogy"}
    )
    assert response.status_code == 400
    assert b"already called" in response.data


@pytest.mark.parametrize("url", ["/staff/catalog/robots", "/staff/catalog/series/999999"])
def test_unknown_kinds_and_records_are_404(staff_client, url):
    assert staff_client.get(url).status_code == 404


def test_the_catalog_lists_open_from_the_menu(staff_client, book):
    page = staff_client.get("/staff/")
    assert b'href="/staff/catalog/"' in page.data
    assert b"Mystery" in staff_client.get("/staff/catalog/subjects").data
