"""The journal's Atom feed and the list of posts for the sitemap."""

from datetime import timedelta
from xml.etree import ElementTree

from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.journal.services import sitemap_posts
from tests.journal.builders import make_post

ATOM = "{http://www.w3.org/2005/Atom}"


def test_feed_is_atom_with_the_published_posts(app_ctx, client):
    make_post("Feed Post", body="Some <script>x()</script>**bold**", tags=("History",))
    make_post("Draft Post", published_at=None)
    make_post("Scheduled Post", published_at=utcnow() + timedelta(days=2))
    db.session.commit()
    response = client.get("/journal/feed.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.data)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Feed Post"]
    content = entries[0].findtext(f"{ATOM}content")
    assert "<strong>bold</strong>" in content
    assert "script" not in content
    assert entries[0].find(f"{ATOM}category").get("term") == "history"


def test_empty_feed_is_still_valid_atom(client):
    feed = ElementTree.fromstring(client.get("/journal/feed.xml").data)
    assert feed.findtext(f"{ATOM}updated")
    assert feed.findall(f"{ATOM}entry") == []


def test_journal_pages_advertise_the_feed(app_ctx, client):
    html = client.get("/journal/").get_data(as_text=True)
    assert 'type="application/atom+xml"' in html


def test_sitemap_lists_only_published_posts(app_ctx):
    visible = make_post("Visible")
    make_post("Draft", published_at=None)
    db.session.commit()
    assert [slug for slug, _ in sitemap_posts(utcnow())] == [visible.slug]
