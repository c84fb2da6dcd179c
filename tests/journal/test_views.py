"""Journal pages: the list, a post with its books, tag pages, drafts and bad addresses."""

import re
from datetime import timedelta

import pytest

from bookstore.dbtypes import utcnow
from bookstore.demo.catalog import load_demo
from bookstore.extensions import db
from bookstore.shoptime import to_shop_time
from tests.factories import make_book
from tests.journal.builders import make_post


def _text(response) -> str:
    return response.get_data(as_text=True)


def _h1_count(html: str) -> int:
    return len(re.findall(r"<h1[\s>]", html))


# -- the list --------------------------------------------------------------------------------


def test_list_shows_published_posts_newest_first(app_ctx, client):
    make_post("Older Post")
    make_post("Newer Post", summary="What the newer one is about.")
    db.session.commit()
    html = _text(client.get("/journal/"))
    assert html.index("Newer Post") < html.index("Older Post")
    assert "What the newer one is about." in html
    assert _h1_count(html) == 1


def test_list_leaves_out_drafts_and_scheduled_posts(app_ctx, client):
    make_post("Visible Post")
    make_post("Draft Post", published_at=None)
    make_post("Scheduled Post", published_at=utcnow() + timedelta(days=1))
    db.session.commit()
    html = _text(client.get("/journal/"))
    assert "Visible Post" in html
    assert "Draft Post" not in html
    assert "Scheduled Post" not in html


def test_empty_journal_says_so(client):
    response = client.get("/journal/")
    assert response.status_code == 200
    assert "No posts yet" in _text(response)


def test_list_shows_each_posts_tags_as_links(app_ctx, client):
    make_post("Tagged Post", tags=("History", "Russia File"))
    db.session.commit()
    html = _text(client.get("/journal/"))
    assert 'href="/journal/tags/history"' in html
    assert 'href="/journal/tags/russia-file"' in html


def test_list_is_paginated_with_stable_links(make_app):
    app = make_app(JOURNAL_PAGE_SIZE=2)
    client = app.test_client()
    with app.app_context():
        for n in range(1, 6):
            make_post(f"Numbered Post {n}")
        db.session.commit()
    first = _text(client.get("/journal/"))
    assert "Numbered Post 5" in first
    assert "Numbered Post 3" not in first
    assert 'rel="next" href="/journal/?page=2"' in first
    assert 'rel="prev"' not in first
    third = _text(client.get("/journal/?page=3"))
    assert "Numbered Post 1" in third
    assert "Numbered Post 2" not in third
    assert 'rel="prev" href="/journal/?page=2"' in third
    assert 'rel="next"' not in third
    assert "Page 3 of 3" in third
    assert client.get("/journal/?page=4").status_code == 404


@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", "", "99999999999", "\uff11", "1 OR 1=1"])
def test_bad_page_numbers_get_a_404_not_an_error(client, page):
    response = client.get("/journal/", query_string={"page": page})
    assert response.status_code == 404
    assert "could not find" in _text(response)


def test_list_costs_the_same_queries_for_few_and_many_posts(app_ctx, count_queries):
    client = app_ctx.test_client()
    for _ in range(2):
        make_post(tags=("History",))
    db.session.commit()
    few = count_queries(lambda: client.get("/journal/"))
    for n in range(8):
        make_post(tags=("History", f"Tag {n}"))
    db.session.commit()
    many = count_queries(lambda: client.get("/journal/"))
    assert few == many


# -- one post --------------------------------------------------------------------------------


def test_post_page_shows_title_date_tags_body_and_credit(app_ctx, client):
    post = make_post(
        "Friends and Rivals",
        body="## A section\n\nThe **treaty** was signed.",
        tags=("History", "Int'l Relations"),
        image_credit="Image credit: Wikimedia Commons",
    )
    db.session.commit()
    response = client.get(f"/journal/{post.slug}")
    html = _text(response)
    assert response.status_code == 200
    assert "<h1" in html
    assert "Friends and Rivals" in html
    # The day where the shop is (SHOP_TIMEZONE), not in UTC.
    assert f'<time datetime="{to_shop_time(post.published_at):%Y-%m-%d}">' in html
    assert "<h2>A section</h2>" in html
    assert "<strong>treaty</strong>" in html
    assert 'href="/journal/tags/intl-relations"' in html
    assert "Image credit: Wikimedia Commons" in html
    assert _h1_count(html) == 1


def test_post_page_shows_its_books_with_author_and_price(app_ctx, client):
    book = make_book(
        "Murder at the Dacha",
        authors=("Alexei Bayer",),
        formats=("paperback", "ebook"),
        price_cents=1600,
    )
    post = make_post(books=[book])
    db.session.commit()
    html = _text(client.get(f"/journal/{post.slug}"))
    assert "Some of Our Books" in html
    assert "Murder at the Dacha" in html
    assert "Alexei Bayer" in html
    assert "from $10.00" in html


def test_post_without_books_has_no_books_section(app_ctx, client):
    post = make_post()
    db.session.commit()
    assert "Some of Our Books" not in _text(client.get(f"/journal/{post.slug}"))


def test_post_links_its_books_to_the_book_page_when_the_catalog_has_one(app_ctx, client):
    book = make_book("Fearful Majesty")
    post = make_post(books=[book])
    db.session.commit()
    html = _text(client.get(f"/journal/{post.slug}"))
    assert f'href="/books/{book.slug}"' in html


def test_hostile_markdown_is_sanitised_on_the_page(app_ctx, client):
    post = make_post(
        body='Hi <script>alert("x")</script><img src=x onerror="alert(2)">'
        '<a href="javascript:alert(3)">link</a>'
    )
    db.session.commit()
    html = _text(client.get(f"/journal/{post.slug}"))
    body = html[html.index('class="journal-body"') :]
    assert "<script>alert" not in body
    assert "onerror" not in body
    assert "javascript:" not in body


@pytest.mark.parametrize(
    ("state", "published_at"),
    [("draft", None), ("scheduled", "future")],
)
def test_unpublished_posts_are_not_found(app_ctx, client, state, published_at):
    if published_at == "future":
        published_at = utcnow() + timedelta(hours=1)
    post = make_post(f"Secret {state}", published_at=published_at)
    db.session.commit()
    response = client.get(f"/journal/{post.slug}")
    assert response.status_code == 404
    assert f"Secret {state}" not in _text(response)


def test_unknown_post_is_not_found(client):
    assert client.get("/journal/no-such-post").status_code == 404


def test_post_page_costs_the_same_queries_for_one_book_and_many(app_ctx, count_queries):
    app_ctx.config["PAGE_CACHE_SECONDS"] = 0  # count what rendering costs, not the cache
    client = app_ctx.test_client()
    small = make_post(books=[make_book(formats=("paperback", "ebook"))], tags=("A",))
    large = make_post(
        books=[make_book(authors=(f"Author {n}", "Co Author")) for n in range(8)],
        tags=("A", "B", "C"),
    )
    db.session.commit()
    one = count_queries(lambda: client.get(f"/journal/{small.slug}"))
    many = count_queries(lambda: client.get(f"/journal/{large.slug}"))
    assert one == many


# -- tags ------------------------------------------------------------------------------------


def test_tag_page_lists_only_published_posts_with_that_tag(app_ctx, client):
    make_post("About History", tags=("History",))
    make_post("About Language", tags=("Language",))
    make_post("Unpublished History", tags=("History",), published_at=None)
    db.session.commit()
    response = client.get("/journal/tags/history")
    html = _text(response)
    assert response.status_code == 200
    assert "Posts tagged \u201cHistory\u201d" in html
    assert "About History" in html
    assert "About Language" not in html
    assert "Unpublished History" not in html
    assert "1 post." in html


def test_tag_pages_are_paginated(make_app):
    app = make_app(JOURNAL_PAGE_SIZE=1)
    client = app.test_client()
    with app.app_context():
        make_post("First Tagged", tags=("Russia File",))
        make_post("Second Tagged", tags=("Russia File",))
        db.session.commit()
    html = _text(client.get("/journal/tags/russia-file?page=2"))
    assert "First Tagged" in html
    assert 'rel="prev" href="/journal/tags/russia-file?page=1"' in html
    assert client.get("/journal/tags/russia-file?page=3").status_code == 404
    assert client.get("/journal/tags/russia-file?page=x").status_code == 404


def test_unknown_tag_is_not_found(client):
    assert client.get("/journal/tags/no-such-tag").status_code == 404


def test_tag_page_costs_the_same_queries_for_few_and_many_posts(app_ctx, count_queries):
    client = app_ctx.test_client()
    make_post(tags=("History",))
    db.session.commit()
    few = count_queries(lambda: client.get("/journal/tags/history"))
    for n in range(6):
        make_post(tags=("History", f"Other {n}"))
    db.session.commit()
    assert count_queries(lambda: client.get("/journal/tags/history")) == few


# -- the demo post ---------------------------------------------------------------------------


def test_demo_post_on_the_sino_soviet_relationship_is_shown_with_its_books(app_ctx, client):
    load_demo(if_empty=False, echo=lambda _: None)
    html = _text(client.get("/journal/comrades-rivals-neighbours-moscow-and-beijing"))
    assert "February 14, 2015" in html
    assert "Treaty of Friendship" in html
    assert "Image credit" in html
    assert "Fearful Majesty" in html
    assert "Benson Bobrick" in html
    listing = _text(client.get("/journal/tags/russia-file"))
    assert "Comrades, Rivals, Neighbours" in listing


def test_post_invites_readers_to_the_weekly_digest(app_ctx, client):
    post = make_post()
    db.session.commit()
    html = _text(client.get(f"/journal/{post.slug}"))
    assert 'action="/digest/subscribe"' in html
    assert 'type="email" name="email"' in html


def test_home_page_has_the_digest_sign_up_form(client):
    html = _text(client.get("/"))
    assert "Get a weekly email digest + member-only deals" in html
    assert 'action="/digest/subscribe"' in html
