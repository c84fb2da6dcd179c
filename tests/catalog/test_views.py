"""Catalog pages through the test client: every page, filters, bad parameters, JSON-LD."""

import json
import re
from datetime import UTC, date, datetime

import pytest

from bookstore.catalog.models import BookContributor, ContributorRole
from bookstore.extensions import db
from bookstore.journal.models import Post
from tests.factories import get_contributor, make_book

FAR_FUTURE = date(2099, 3, 1)


def html(response) -> str:
    return response.get_data(as_text=True)


def jsonld(response) -> dict:
    found = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', html(response), re.DOTALL
    )
    assert found, "the page has no JSON-LD block"
    return json.loads(found.group(1))


@pytest.fixture
def shelf(app):
    """A small catalog: a mystery series, a bilingual book, a preorder, a sold-out book."""
    with app.app_context():
        dacha = make_book(
            "Murder at the Dacha",
            formats=("paperback", "ebook"),
            series=("Matyushkin Mysteries", 2),
            subjects=("Fiction", "Mystery"),
            authors=("Alexei Bayer",),
            on_hand=2,
            featured=True,
            published_on=date(2013, 7, 1),
        )
        dacha.editions[0].isbn13 = "9781880100813"
        dacha.editions[0].pages = 320
        make_book(
            "The Latchkey Murders",
            series=("Matyushkin Mysteries", 1),
            subjects=("Fiction", "Mystery"),
            authors=("Alexei Bayer",),
            on_hand=0,
            published_on=date(2015, 7, 1),
        )
        make_book(
            "Murder and the Muse",
            series=("Matyushkin Mysteries", 3),
            subjects=("Fiction", "Mystery"),
            authors=("Alexei Bayer",),
            published_on=FAR_FUTURE,
        )
        bilingual = make_book(
            "Chekhov Bilingual",
            languages="en ru",
            subjects=("Fiction",),
            authors=("Anton Chekhov",),
            published_on=date(2010, 1, 1),
        )
        bilingual.credits.append(
            BookContributor(
                contributor=get_contributor("Lydia Stone"),
                role=ContributorRole.TRANSLATOR,
                position=1,
            )
        )
        slugs = {"dacha": dacha.slug, "bilingual": bilingual.slug}
        db.session.commit()
    return slugs


# --- browse -------------------------------------------------------------------------------


def test_browse_lists_books_with_price_and_availability(client, shelf):
    page = html(client.get("/books"))
    assert "Showing 1–4 of 4 books" in page
    assert "Murder at the Dacha" in page
    assert "Chekhov Bilingual" in page
    assert "Only 2 left" in page
    assert "Preorder: published March 1, 2099" in page
    assert "$16.00" in page


@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ("subject=mystery", "The Latchkey Murders", "Chekhov Bilingual"),
        ("series=matyushkin-mysteries", "Murder and the Muse", "Chekhov Bilingual"),
        ("format=ebook", "Murder at the Dacha", "Chekhov Bilingual"),
        ("language=ru", "Chekhov Bilingual", "The Latchkey Murders"),
        ("availability=preorder", "Murder and the Muse", "Murder at the Dacha"),
        ("availability=available", "Murder at the Dacha", "The Latchkey Murders"),
        ("sort=title", "Chekhov Bilingual", None),
        ("sort=price", "Murder at the Dacha", None),
    ],
)
def test_every_filter_and_sort_works_from_the_url(client, shelf, query, expected, absent):
    response = client.get(f"/books?{query}")
    assert response.status_code == 200
    page = html(response)
    assert expected in page
    if absent:
        assert absent not in page.split('class="results"')[1]


def test_filter_form_keeps_the_chosen_values(client, shelf):
    page = html(client.get("/books?subject=mystery&sort=title"))
    assert '<option value="mystery" selected>Mystery</option>' in page
    assert '<option value="title" selected>' in page
    assert '<label for="f-subject">Subject</label>' in page


@pytest.mark.parametrize(
    "query",
    [
        "page=-1",
        "page=abc",
        "page=0",
        "page=99",
        "page=" + "9" * 400,
        "subject=no-such-subject",
        "series=nothing",
        "format=scroll",
        "language=klingon",
        "availability=soon",
        "subject=%27%20OR%201%3D1",
    ],
)
def test_bad_parameters_get_a_clear_404_never_a_500(client, shelf, query):
    response = client.get(f"/books?{query}")
    assert response.status_code == 404
    assert "could not find" in html(response)


def test_control_characters_in_parameters_are_refused_with_a_message(client, shelf):
    response = client.get("/books?subject=%00%01")
    assert response.status_code == 400
    assert "cannot read" in html(response)


def test_unknown_sort_gets_the_normal_page(client, shelf):
    response = client.get("/books?sort=bogus")
    assert response.status_code == 200
    assert "Murder and the Muse" in html(response)


def test_pages_link_to_each_other_with_stable_urls(make_app):
    app = make_app(PAGE_SIZE=2)
    with app.app_context():
        for n in range(5):
            make_book(f"Book {n}", subjects=("History",), published_on=date(2000 + n, 1, 1))
        db.session.commit()
    client = app.test_client()
    first = html(client.get("/books?sort=title&subject=history"))
    assert 'href="/books?subject=history&amp;sort=title&amp;page=2" rel="next"' in first
    assert "Page 1 of 3" in first
    second = html(client.get("/books?subject=history&sort=title&page=2"))
    assert 'href="/books?subject=history&amp;sort=title" rel="prev"' in second
    assert "Book 2" in second
    assert "Book 1" not in second.split('class="results"')[1]
    assert client.get("/books?subject=history&page=4").status_code == 404


def test_filtered_lists_ask_robots_not_to_index_them(client, shelf):
    assert 'content="noindex, follow"' in html(client.get("/books?format=ebook"))
    assert "noindex" not in html(client.get("/books"))


# --- book page ----------------------------------------------------------------------------


def test_book_page_shows_editions_with_hyphenated_isbn_price_and_stock(client, shelf):
    response = client.get(f"/books/{shelf['dacha']}")
    assert response.status_code == 200
    page = html(response)
    assert page.count("<h1") == 1
    assert "<h1>Murder at the Dacha</h1>" in page
    assert "978-1-880100-81-3" in page
    assert "$16.00" in page
    assert "Only 2 left" in page
    assert "Available to download" in page
    assert 'href="/authors/alexei-bayer"' in page


def test_book_page_links_series_neighbours_and_suggestions(client, shelf):
    page = html(client.get(f"/books/{shelf['dacha']}"))
    assert "Book 2 of" in page
    assert 'href="/series/matyushkin-mysteries"' in page
    assert re.search(r'rel="prev"><span class="muted">Previous:</span> The Latchkey Murders', page)
    assert re.search(r'rel="next"><span class="muted">Next:</span> Murder and the Muse', page)
    related = page.split("You might also like")[1]
    assert "The Latchkey Murders" in related
    assert "Chekhov Bilingual" in related


def test_book_page_shows_preorder_date_and_out_of_stock(client, shelf):
    page = html(client.get("/books?series=matyushkin-mysteries"))
    muse = re.search(r'href="(/books/murder-and-the-muse-\d+)"', page).group(1)
    assert "Preorder: published March 1, 2099" in html(client.get(muse))
    latchkey = re.search(r'href="(/books/the-latchkey-murders-\d+)"', page).group(1)
    assert "Out of stock" in html(client.get(latchkey))


def test_book_page_lists_translators_and_bilingual_languages(client, shelf):
    page = html(client.get(f"/books/{shelf['bilingual']}"))
    assert 'Translator: <a href="/authors/lydia-stone">Lydia Stone</a>' in " ".join(page.split())
    assert "English and Russian (bilingual edition)" in page


def _without_tokens(page: str) -> str:
    return re.sub(r'(name="csrf_token" value="|name="csrf-token" content=")[^"]+', r"\1X", page)


def test_book_page_in_its_kept_layout_is_the_page_jinja_renders(make_app, shelf):
    # A cached page's layout is kept with marks for the page's values (catalog/book_page.py);
    # with the cache off Jinja renders it all. A title that needs escaping shows both ways.
    cached, fresh = make_app(), make_app(PAGE_CACHE_SECONDS=0)
    with cached.app_context():
        hostile = make_book("Fathers & <Sons>", authors=('Ivan "Turgenev"',)).slug
        db.session.commit()
    for slug in (shelf["dacha"], shelf["bilingual"], hostile):
        kept_page = cached.test_client().get(f"/books/{slug}")
        assert kept_page.headers["X-Page-Cache"] == "miss"
        jinja_page = fresh.test_client().get(f"/books/{slug}")
        assert _without_tokens(html(kept_page)) == _without_tokens(html(jinja_page))
    assert "<title>Fathers &amp; &lt;Sons&gt; by Ivan &#34;Turgenev&#34; · " in html(kept_page)


LIST_PAGES_IN_KEPT_LAYOUT = (
    "/books",
    "/books?subject=fathers-sons&sort=title",
    "/books?format=ebook&subject=fathers-sons",
    "/search",
    "/search?q=dacha",
    "/search?q=dacah",
    "/search?q=dacah&exact=1",
    "/search?q=%22%3Cb%3E%26%27",
    "/search?q=!!!",
    "/search?q=zzzzqqq",
)


def test_list_pages_in_their_kept_layout_are_the_pages_jinja_renders(make_app, shelf):
    # Browse and search put their values in a kept layout (catalog/kept_layout.py) too; with
    # the cache off Jinja renders the same values. Values that need escaping show both ways,
    # the header's search box among them.
    cached, fresh = make_app(), make_app(PAGE_CACHE_SECONDS=0)
    with cached.app_context():
        make_book("Fathers & <Sons>", subjects=("Fathers & <Sons>",))
        db.session.commit()
    client = cached.test_client()
    shown = ""
    for url in LIST_PAGES_IN_KEPT_LAYOUT:
        kept_page = client.get(url)
        assert kept_page.headers.get("X-Page-Cache") == "miss", (url, kept_page.status_code)
        jinja_page = fresh.test_client().get(url)
        assert kept_page.status_code == jinja_page.status_code == 200, url
        assert _without_tokens(html(kept_page)) == _without_tokens(html(jinja_page)), url
        shown += html(kept_page)
    # Each way a list page can go was compared.
    for branch in (
        "Try fewer filters",
        "Search by title",
        "had no letters",
        "No books match",
        "Showing results for",
        "Did you mean",
        "books match",
        "Browse by subject",
    ):
        assert branch in shown, branch
    searched = html(client.get("/search?q=%22%3Cb%3E%26%27"))
    assert 'value="&#34;&lt;b&gt;&amp;&#39;" maxlength="200">' in searched
    assert "<title>Search: &#34;&lt;b&gt;&amp;&#39; · " in searched
    assert "<title>Fathers &amp; &lt;Sons&gt; · Books · " in html(
        client.get("/books?subject=fathers-sons&sort=title")
    )


def test_search_page_header_shows_each_search_in_its_kept_layout(client, shelf):
    first, second = html(client.get("/search?q=dacha")), html(client.get("/search?q=bilingual"))
    assert 'id="site-search" type="search" name="q" placeholder' in first
    assert 'value="dacha" maxlength="200">' in first
    assert 'value="bilingual" maxlength="200">' in second
    assert 'value="dacha"' not in second


def test_book_page_layout_follows_the_settings_it_shows(app, client, shelf):
    first = html(client.get(f"/books/{shelf['dacha']}"))
    assert "<title>Murder at the Dacha by Alexei Bayer · Russian Life Books</title>" in first
    app.config.update(SHOP_NAME="Troika Books", CUSTOMER_SERVICE_EMAIL="desk@troika.example")
    page = html(client.get(f"/books/{shelf['bilingual']}"))
    assert "<title>Chekhov Bilingual by Anton Chekhov · Troika Books</title>" in page
    assert "mailto:desk@troika.example" in page


def test_book_json_ld_describes_the_book_and_its_offers(client, shelf):
    data = jsonld(client.get(f"/books/{shelf['dacha']}"))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Book"
    assert data["name"] == "Murder at the Dacha"
    assert data["isbn"] == "9781880100813"
    assert data["author"][0]["name"] == "Alexei Bayer"
    assert data["author"][0]["url"].endswith("/authors/alexei-bayer")
    assert data["offers"][0] == {
        "@type": "Offer",
        "price": "16.00",
        "priceCurrency": "USD",
        "availability": "https://schema.org/LimitedAvailability",
        "sku": "9781880100813",
        "url": data["url"],
    }
    assert data["offers"][1]["availability"] == "https://schema.org/InStock"
    assert data["workExample"][0]["bookFormat"] == "https://schema.org/Paperback"
    assert data["workExample"][0]["numberOfPages"] == 320


def test_json_ld_marks_preorders_with_their_date(client, shelf):
    page = html(client.get("/books?availability=preorder"))
    muse = re.search(r'href="(/books/murder-and-the-muse-\d+)"', page).group(1)
    offer = jsonld(client.get(muse))["offers"][0]
    assert offer["availability"] == "https://schema.org/PreOrder"
    assert offer["availabilityStarts"] == "2099-03-01"


def test_json_ld_cannot_be_broken_out_of_by_a_title(client, app):
    hostile = "Evil </script><script>alert(1)</script> & 'quotes'"
    with app.app_context():
        slug = make_book(hostile).slug
        db.session.commit()
    response = client.get(f"/books/{slug}")
    assert "<script>alert(1)" not in html(response)
    assert jsonld(response)["name"] == hostile


def test_unknown_slugs_are_404(client, shelf):
    for url in ("/books/nope", "/authors/nope", "/series/nope", "/subjects/nope"):
        response = client.get(url)
        assert response.status_code == 404, url


# --- contributor, series, subject ---------------------------------------------------------


def test_contributor_page_lists_their_books_and_roles(client, shelf):
    page = html(client.get("/authors/lydia-stone"))
    assert "<h1>Lydia Stone</h1>" in page
    assert "Chekhov Bilingual" in page
    assert "Translator" in page
    assert "Murder at the Dacha" not in page


def test_series_page_lists_books_in_reading_order(client, shelf):
    page = html(client.get("/series/matyushkin-mysteries"))
    order = [page.index(t) for t in ("The Latchkey Murders", "Murder at the Dacha", "Murder and")]
    assert order == sorted(order)
    assert "Book 1" in page
    assert "Book 3" in page


def test_subject_page_lists_and_sorts_its_books(client, shelf):
    page = html(client.get("/subjects/mystery?sort=title"))
    assert "<h1>Mystery</h1>" in page
    assert "Chekhov Bilingual" not in page.split("<h1>")[1].split("</main>")[0]
    order = [page.index(t) for t in ("Murder and the Muse", "Murder at the Dacha", "The Latchkey")]
    assert order == sorted(order)
    assert client.get("/subjects/mystery?page=zzz").status_code == 404


# --- home, sitemap, robots ----------------------------------------------------------------


def test_home_shows_new_featured_books_and_latest_posts(client, app, shelf):
    with app.app_context():
        db.session.add(
            Post(
                title="The Sino-Soviet Love-Hate Relationship",
                slug="sino-soviet",
                summary="A treaty signed on Valentine's Day.",
                published_at=datetime(2015, 2, 14, 12, tzinfo=UTC),
            )
        )
        db.session.add(Post(title="Draft", slug="draft", published_at=None))
        db.session.commit()
    page = html(client.get("/"))
    new = page.split('id="new-heading"')[1]
    assert new.index("Murder and the Muse") < new.index("Murder at the Dacha")
    assert "Some of our books" in page
    assert "The Sino-Soviet Love-Hate Relationship" in page
    assert "February 14, 2015" in page
    assert "Draft" not in page


def test_home_page_offers_the_weekly_digest(client, shelf):
    page = html(client.get("/"))
    assert "Get a weekly email digest + member-only deals" in page


def test_sitemap_index_points_at_chunks_that_list_every_book(client, shelf):
    index = html(client.get("/sitemap.xml"))
    assert "<sitemapindex" in index
    assert "http://localhost/sitemaps/books-1.xml" in index
    assert "http://localhost/sitemaps/authors-1.xml" in index
    response = client.get("/sitemaps/books-1.xml")
    assert response.mimetype == "application/xml"
    books = html(response)
    assert f"<loc>http://localhost/books/{shelf['dacha']}</loc>" in books
    assert books.count("<url>") == 4
    assert "<loc>http://localhost/series/matyushkin-mysteries</loc>" in html(
        client.get("/sitemaps/series-1.xml")
    )
    assert client.get("/sitemaps/books-2.xml").status_code == 404
    assert client.get("/sitemaps/secrets-1.xml").status_code == 404


def test_sitemap_chunks_stay_small(client, app, monkeypatch):
    from bookstore.pages import sitemap

    monkeypatch.setattr(sitemap, "CHUNK_SIZE", 2)
    with app.app_context():
        for _ in range(5):
            make_book()
        db.session.commit()
    index = html(client.get("/sitemap.xml"))
    assert "books-3.xml" in index
    assert "books-4.xml" not in index
    assert html(client.get("/sitemaps/books-3.xml")).count("<url>") == 1


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    body = html(response)
    assert "User-agent: *" in body
    assert "Sitemap: http://localhost/sitemap.xml" in body
    assert "Disallow: /account/" in body


def test_json_ld_image_is_the_covers_absolute_link(client, app):
    with app.app_context():
        generated = make_book("Generated Cover")
        uploaded = make_book("Uploaded Cover")
        uploaded.cover_image = "abc123-large.jpg"
        db.session.commit()
        slugs = generated.slug, uploaded.slug
    assert jsonld(client.get(f"/books/{slugs[0]}"))["image"] == (
        f"http://localhost/covers/{slugs[0]}.svg"
    )
    assert jsonld(client.get(f"/books/{slugs[1]}"))["image"] == (
        "http://localhost/covers/files/abc123-large.jpg"
    )
