"""Link previews: the Open Graph and Twitter card tags of the pages readers share."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bookstore.extensions import db
from tests.factories import make_book
from tests.journal.builders import make_post


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, str] = {}

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "meta":
            found = dict(attrs)
            name = found.get("property") or found.get("name")
            if name and (name.startswith(("og:", "book:", "article:", "twitter:"))):
                assert name not in self.tags, f"{name} twice"
                self.tags[name] = found.get("content") or ""


def previews(client, path: str) -> dict[str, str]:
    """The page's preview tags, by property (the parser unescapes their values)."""
    response = client.get(path)
    assert response.status_code == 200
    parser = _Meta()
    parser.feed(response.get_data(as_text=True))
    return parser.tags


@pytest.fixture
def base_url(app):
    return app.config["SHOP_BASE_URL"].rstrip("/")


def test_a_book_page_previews_its_title_words_and_isbn(app, client, base_url):
    with app.app_context():
        book = make_book(
            'Murder at the "Dacha" & Other <Tales>',
            authors=("Alexei Bayer",),
            description="A killing at a dacha outside Moscow.",
        )
        slug, isbn = book.slug, book.editions[0].isbn13
        db.session.commit()
    for _view in range(3):  # rendered, then kept by the page cache and served from it
        tags = previews(client, f"/books/{slug}")
        assert tags == {
            "og:site_name": "Russian Life Books",
            "og:type": "book",
            "og:title": 'Murder at the "Dacha" & Other <Tales> by Alexei Bayer',
            "og:description": "A killing at a dacha outside Moscow.",
            "og:url": f"{base_url}/books/{slug}",
            "book:isbn": isbn,
            "book:release_date": "2015-01-01",
            # Previewers show no SVG: the generated cover is given as a PNG.
            "og:image": f"{base_url}/covers/{slug}.png",
            "og:image:alt": 'The cover of Murder at the "Dacha" & Other <Tales>',
            "twitter:card": "summary_large_image",
        }


def test_a_book_with_an_uploaded_cover_shows_it_in_the_preview(app, client, base_url):
    with app.app_context():
        slug = make_book("Winter Tales", cover_image="winter-large.jpg").slug
        db.session.commit()
    tags = previews(client, f"/books/{slug}")
    assert tags["og:image"] == f"{base_url}/covers/files/winter-large.jpg"
    assert tags["og:image:alt"] == "The cover of Winter Tales"
    assert tags["twitter:card"] == "summary_large_image"


def test_a_journal_post_previews_as_an_article_with_its_picture(app, client, base_url):
    with app.app_context():
        post = make_post("Matyushkin Is Back", summary="The detective's first big case.")
        post.image, post.image_alt = "dacha.jpg", "A wooden house in the snow"
        slug, published = post.slug, post.published_at.isoformat()
        db.session.commit()
    tags = previews(client, f"/journal/{slug}")
    assert tags["og:type"] == "article"
    assert tags["og:title"] == "Matyushkin Is Back"
    assert tags["og:description"] == "The detective's first big case."
    assert tags["og:url"] == f"{base_url}/journal/{slug}"
    assert tags["og:image"] == f"{base_url}/journal/images/dacha.jpg"
    assert tags["og:image:alt"] == "A wooden house in the snow"
    assert tags["article:published_time"] == published


def test_the_home_page_previews_the_shop(client, base_url):
    tags = previews(client, "/")
    assert tags["og:type"] == "website"
    assert tags["og:title"] == "Russian Life Books"
    assert tags["og:url"] == f"{base_url}/"
    assert "og:image" not in tags


def test_an_author_and_a_series_preview_what_they_are(app, client, base_url):
    with app.app_context():
        book = make_book("Murder at the Dacha", authors=("Alexei Bayer",), series=("Matyushkin", 1))
        book.credits[0].contributor.bio = "A New York economist who writes Moscow mysteries."
        person, series = book.credits[0].contributor.slug, book.series.slug
        db.session.commit()
    tags = previews(client, f"/authors/{person}")
    assert (tags["og:type"], tags["og:title"]) == ("profile", "Alexei Bayer")
    assert tags["og:description"] == "A New York economist who writes Moscow mysteries."
    assert tags["og:url"] == f"{base_url}/authors/{person}"
    tags = previews(client, f"/series/{series}")
    assert (tags["og:type"], tags["og:title"]) == ("website", "Matyushkin")
    assert tags["og:url"] == f"{base_url}/series/{series}"
