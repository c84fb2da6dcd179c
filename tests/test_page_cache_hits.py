"""A guest's page-cache hit answered before Flask (bookstore/page_cache_hits.py): the same page,
headers, cookies and metrics as Flask's own answer, and only for visitors it may serve."""

import re
import time

import pytest

from bookstore import page_cache
from bookstore.accounts.models import Role
from bookstore.extensions import db
from bookstore.page_cache_hits import GuestHits
from tests.accounts.helpers import log_in
from tests.factories import make_book, make_user

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CART_COUNT = re.compile(r'class="cart-count"[^>]*>(\d+)<')
# Differ on every answer, by design.
VARYING = {"x-request-id", "set-cookie"}


class FlaskCalls:
    """Counts the requests that reached Flask (past the guest-hit path)."""

    def __init__(self, app):
        layer = app.wsgi_app
        while not isinstance(layer, GuestHits):
            layer = layer.wsgi_app
        self.count = 0
        inner = layer.wsgi_app

        def counted(environ, start_response):
            self.count += 1
            return inner(environ, start_response)

        layer.wsgi_app = counted


def shape(response) -> list[tuple[str, str]]:
    """The headers in order, with the values that differ on every answer left out."""
    return [
        (name, "..." if name.lower() in VARYING else value)
        for name, value in response.headers.items()
    ]


def cookie_attributes(response) -> list[str]:
    return [cookie.split(";", 1)[1] for cookie in response.headers.getlist("Set-Cookie")]


def session_keys(client) -> set[str]:
    with client.session_transaction() as session:
        return set(session)


@pytest.fixture(autouse=True)
def generation_stays_fresh(monkeypatch):
    """However slow the machine, the generation read on a test's first request stays fresh
    (past its second, the next request goes to Flask to read it again)."""
    monkeypatch.setattr(page_cache, "GENERATION_RECHECK_SECONDS", 3600)


@pytest.fixture
def dacha(app):
    with app.app_context():
        book = make_book("Murder at the Dacha", on_hand=8, price_cents=1600)
        db.session.commit()
        return book.slug, book.editions[0].id


@pytest.mark.parametrize("base_url", ["http://localhost", "https://localhost"])
@pytest.mark.parametrize("path", ["/", "/books", "/books?sort=title&utm_source=x"])
def test_a_hit_before_flask_has_the_headers_of_flasks_hit_and_miss(make_app, path, base_url):
    fast = make_app(WTF_CSRF_ENABLED=True)
    slow = make_app(WTF_CSRF_ENABLED=True, PAGE_CACHE_GUEST_HITS=False)
    with fast.app_context():
        make_book("Murder at the Dacha")
        db.session.commit()
    flask_calls = FlaskCalls(fast)

    def answer(app):
        return app.test_client(use_cookies=False).get(path, base_url=base_url)

    miss, fast_hit = answer(fast), answer(fast)
    answer(slow)
    slow_hit = answer(slow)
    assert flask_calls.count == 1, "the second visit was answered before Flask"
    assert [r.headers["X-Page-Cache"] for r in (miss, fast_hit, slow_hit)] == ["miss", "hit", "hit"]
    assert shape(fast_hit) == shape(slow_hit)
    assert [item for item in shape(fast_hit) if item[0] != "X-Page-Cache"] == [
        item for item in shape(miss) if item[0] != "X-Page-Cache"
    ]
    assert cookie_attributes(fast_hit) == cookie_attributes(slow_hit) == cookie_attributes(miss)
    if base_url.startswith("https"):
        assert fast_hit.headers["Strict-Transport-Security"]
        assert all("Secure" in cookie for cookie in fast_hit.headers.getlist("Set-Cookie"))
    # Each its own token (and then its own session cookie); nothing else differs.
    body = fast_hit.get_data(as_text=True)
    assert "pc-" not in body
    assert TOKEN.sub("", body) == TOKEN.sub("", miss.get_data(as_text=True))


def csrf_shop(make_app):
    """A shop with CSRF on and one book in stock: the app, the book's slug and edition id."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        book = make_book("Murder at the Dacha", on_hand=8)
        db.session.commit()
        return app, book.slug, book.editions[0].id


def test_a_token_on_a_page_served_before_flask_is_its_visitors_own(make_app, database):
    app, slug, edition_id = csrf_shop(make_app)
    anna, boris = app.test_client(), app.test_client()
    anna.get(f"/books/{slug}")
    flask_calls = FlaskCalls(app)
    [boris_token] = TOKEN.findall(boris.get(f"/books/{slug}").get_data(as_text=True))
    assert flask_calls.count == 0
    assert session_keys(boris) == {"csrf_token"}

    refused = anna.post("/cart/add", data={"edition_id": edition_id, "csrf_token": boris_token})
    assert refused.status_code == 400
    added = boris.post("/cart/add", data={"edition_id": edition_id, "csrf_token": boris_token})
    assert added.status_code in (302, 303)


def test_a_returning_guest_keeps_their_session_and_token(make_app, database):
    app, slug, edition_id = csrf_shop(make_app)
    guest = app.test_client()
    guest.get(f"/books/{slug}")  # the token's first page
    guest.get(f"/books/{slug}")  # Flask-Login marks the session not fresh, once
    flask_calls = FlaskCalls(app)
    page = guest.get(f"/books/{slug}")
    assert flask_calls.count == 0
    assert page.headers["X-Page-Cache"] == "hit"
    assert "Set-Cookie" not in page.headers, "the session did not change"
    [token] = TOKEN.findall(page.get_data(as_text=True))
    added = guest.post("/cart/add", data={"edition_id": edition_id, "csrf_token": token})
    assert added.status_code in (302, 303)


def test_visitors_with_more_than_a_token_are_served_by_flask(app, dacha):
    slug, edition_id = dacha
    with app.app_context():
        make_user("anna@example.com", name="Anna Karenina")
        make_user("staff@example.com", name="Stepan Staff", role=Role.STAFF)
        db.session.commit()
    app.test_client().get(f"/books/{slug}")
    flask_calls = FlaskCalls(app)

    shopper = app.test_client()
    shopper.post("/cart/add", data={"edition_id": edition_id, "quantity": 2})
    flashed = shopper.get(f"/books/{slug}")
    assert "to your cart" in flashed.get_data(as_text=True)
    with_cart = shopper.get(f"/books/{slug}")
    assert CART_COUNT.findall(with_cart.get_data(as_text=True)) == ["2"]

    anna = app.test_client()
    log_in(anna, "anna@example.com")
    assert "Anna Karenina" in anna.get(f"/books/{slug}").get_data(as_text=True)

    staff = app.test_client()
    log_in(staff, "staff@example.com")
    assert staff.get(f"/books/{slug}").headers.get("X-Page-Cache") is None

    remembered = app.test_client()
    remembered.set_cookie("remember_token", "whatever")
    forged = app.test_client()
    forged.set_cookie("session", "not.a.signed.session")
    head = app.test_client().head(f"/books/{slug}")
    assert head.status_code == 200
    before = flask_calls.count
    remembered.get(f"/books/{slug}")
    forged.get(f"/books/{slug}")
    assert flask_calls.count == before + 2


def test_a_known_page_asked_of_another_host_is_refused(app, dacha):
    slug, _ = dacha
    client = app.test_client(use_cookies=False)
    client.get(f"/books/{slug}")
    assert client.get(f"/books/{slug}", base_url="http://evil.example").status_code == 400


def test_hits_before_flask_are_counted(app, dacha):
    slug, _ = dacha
    client = app.test_client(use_cookies=False)

    def counted() -> tuple[float, float]:
        text = client.get("/metrics").get_data(as_text=True)
        hits = re.search(r'bookstore_page_cache_lookups_total\{result="hit"\} (\S+)', text)
        pages = re.search(
            r'bookstore_http_requests_total\{endpoint="catalog.book",method="GET",status="200"\} '
            r"(\S+)",
            text,
        )
        return (float(hits[1]) if hits else 0.0, float(pages[1]) if pages else 0.0)

    client.get(f"/books/{slug}")
    hits, pages = counted()
    flask_calls = FlaskCalls(app)
    for _ in range(3):
        assert client.get(f"/books/{slug}").headers["X-Page-Cache"] == "hit"
    assert flask_calls.count == 0
    assert counted() == (hits + 3, pages + 3)


def test_a_page_with_a_visitor_part_is_served_by_flask(app, dacha):
    slug, _ = dacha
    client = app.test_client(use_cookies=False)
    client.get(f"/books/{slug}")
    state = app.extensions["page_cache"]
    key = page_cache.page_key(app, state["generation"][0], "anonymous", f"/books/{slug}?")
    backend = app.extensions["cache"][page_cache.cache]
    body, headers, stock = backend.get(key)
    part = f"pc-{state['mark']}.no-such-part.W10=.".encode()
    backend.set(key, (body.replace(b"</main>", part + b"</main>"), headers, stock))
    flask_calls = FlaskCalls(app)
    page = client.get(f"/books/{slug}")
    assert flask_calls.count == 1
    assert page.headers["X-Page-Cache"] == "hit"
    assert "pc-" not in page.get_data(as_text=True)


def test_a_guests_token_is_signed_again_once_a_minute_and_each_form_of_it_works(
    make_app, database, monkeypatch
):
    app, slug, edition_id = csrf_shop(make_app)
    guest = app.test_client()
    guest.get(f"/books/{slug}")
    guest.get(f"/books/{slug}")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    [first] = TOKEN.findall(guest.get(f"/books/{slug}").get_data(as_text=True))
    monkeypatch.setattr(time, "time", lambda: now + 30)
    [again] = TOKEN.findall(guest.get(f"/books/{slug}").get_data(as_text=True))
    monkeypatch.setattr(time, "time", lambda: now + 61)
    [later] = TOKEN.findall(guest.get(f"/books/{slug}").get_data(as_text=True))
    assert first == again != later
    for token in (first, later):
        added = guest.post("/cart/add", data={"edition_id": edition_id, "csrf_token": token})
        assert added.status_code in (302, 303)
