"""Every absolute link the shop emails or renders points at SHOP_BASE_URL, whatever the request's
Host or X-Forwarded-Host says, and a request naming an unknown host is refused."""

import re

import pytest

from bookstore import create_app
from bookstore.extensions import db
from bookstore.links import BaseUrlError, external_url
from tests.accounts.helpers import STRONG_PASSWORD, log_in, sign_up
from tests.digest.helpers import make_subscriber
from tests.factories import TEST_PASSWORD, make_book, make_user
from tests.fixtures.mail import html_body, text_body
from tests.journal.builders import make_post

SHOP = "https://books.example"
ALIAS = "www.books.example"  # in TRUSTED_HOSTS: answered, but never used for links
# Absolute addresses that are not links to the shop (XML namespaces, schema.org types).
NOT_SHOP_LINKS = ("http://www.w3.org/", "http://www.sitemaps.org/", "https://schema.org")
URL = re.compile(r"""https?://[^\s"'<>)\]]+""")

# (request headers, extra settings) an attacker could use to plant a host.
ATTACKS = {
    "host": ({"Host": "evil.example"}, {}),
    "forwarded-host": ({"X-Forwarded-Host": "evil.example"}, {"TRUST_PROXY_HEADERS": 1}),
}


def shop_links(text: str) -> list[str]:
    """Every absolute URL in ``text`` but XML namespaces and schema.org vocabulary."""
    return [u for u in URL.findall(text) if not u.startswith(NOT_SHOP_LINKS)]


def assert_links_on_the_shop(text: str) -> None:
    links = shop_links(text)
    assert links, "no absolute link found"
    foreign = [u for u in links if not u.startswith(SHOP + "/") and u != SHOP]
    assert not foreign, foreign


@pytest.fixture
def shop_app(make_app):
    def build(**settings):
        return make_app(SHOP_BASE_URL=SHOP, TRUSTED_HOSTS=ALIAS, **settings)

    return build


def add_customer(app, email="anna@example.com"):
    with app.app_context():
        make_user(email, name="Anna Petrova")
        db.session.commit()


# -- Emailed links --------------------------------------------------------------------------------


def ask_reset(client, **kw):
    return client.post("/account/reset", data={"email": "anna@example.com"}, **kw)


def sign_up_taken(client, **kw):
    return sign_up(client, email="anna@example.com", **kw)


def subscribe(client, **kw):
    return client.post("/digest/subscribe", data={"email": "anna@example.com"}, **kw)


def change_password(client, **kw):
    log_in(client, "anna@example.com", **kw)
    data = {"current_password": TEST_PASSWORD, "password": STRONG_PASSWORD}
    return client.post("/account/password", data={**data, "confirm": STRONG_PASSWORD}, **kw)


def change_email(client, **kw):
    log_in(client, "anna@example.com", **kw)
    data = {"email": "anna.new@example.com", "password": TEST_PASSWORD}
    return client.post("/account/email", data=data, **kw)


EMAILING_FORMS = {
    "reset": ask_reset,
    "signup-taken": sign_up_taken,
    "digest-confirm": subscribe,
    "password-changed": change_password,
    "email-changed": change_email,
}


@pytest.mark.parametrize("form", EMAILING_FORMS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_a_planted_host_is_refused_and_nothing_is_emailed(shop_app, outbox, form, attack):
    headers, settings = ATTACKS[attack]
    app = shop_app(**settings)
    add_customer(app)
    client = app.test_client()
    before = len(outbox)
    response = EMAILING_FORMS[form](client, headers=headers)
    assert response.status_code == 400
    assert len(outbox) == before
    assert b"evil.example" not in response.data


# The note that an address was changed carries no link.
LINKING_FORMS = [name for name in EMAILING_FORMS if name != "email-changed"]


@pytest.mark.parametrize("form", LINKING_FORMS)
@pytest.mark.parametrize("proxied", [False, True], ids=["direct", "proxied"])
def test_emailed_links_use_the_shop_address_on_a_trusted_alias(shop_app, outbox, form, proxied):
    if proxied:
        app = shop_app(TRUST_PROXY_HEADERS=1)
        headers = {"X-Forwarded-Host": ALIAS, "X-Forwarded-Proto": "http"}
    else:
        app = shop_app()
        headers = {"Host": ALIAS}
    add_customer(app)
    response = EMAILING_FORMS[form](app.test_client(), headers=headers)
    assert response.status_code in (200, 302)
    assert len(outbox) >= 1
    assert_links_on_the_shop("\n".join(text_body(m) + html_body(m) for m in outbox))


def test_digest_sent_from_the_command_line_links_to_the_shop(shop_app, outbox):
    app = shop_app()
    with app.app_context():
        make_subscriber("reader@example.com")
        make_post("A letter from Kazan")
        make_book("Murder at the Dacha")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    [digest] = outbox.to("reader@example.com")
    assert_links_on_the_shop(text_body(digest))
    assert_links_on_the_shop(html_body(digest))
    assert f"{SHOP}/digest/unsubscribe/" in digest["List-Unsubscribe"]


# -- Rendered links -------------------------------------------------------------------------------


@pytest.fixture
def published(shop_app):
    app = shop_app(TRUST_PROXY_HEADERS=1)
    with app.app_context():
        book = make_book(
            "Murder at the Dacha", authors=("Ana Author",), series=("Dacha Mysteries", 1)
        )
        make_post("A letter from Kazan")
        db.session.commit()
        paths = [
            "/",
            "/books",
            f"/books/{book.slug}",
            "/authors/ana-author",
            "/series/dacha-mysteries",
            "/subjects/fiction",
            "/journal/feed.xml",
            "/sitemap.xml",
            "/sitemaps/pages.xml",
            "/sitemaps/books-1.xml",
            "/robots.txt",
        ]
    return app, paths


@pytest.mark.parametrize(
    "headers",
    [{"Host": ALIAS}, {"X-Forwarded-Host": ALIAS}, {}],
    ids=["alias-host", "alias-forwarded", "plain"],
)
def test_rendered_absolute_links_use_the_shop_address(published, headers):
    app, paths = published
    client = app.test_client()
    for path in paths:
        for _ in range(2):  # a fresh render, then the page cache's copy
            response = client.get(path, headers=headers)
            assert response.status_code == 200, path
            assert_links_on_the_shop(response.text)


@pytest.mark.parametrize("attack", ATTACKS)
def test_rendered_pages_refuse_a_planted_host_even_after_caching(published, attack):
    app, paths = published
    client = app.test_client()
    headers, _settings = ATTACKS[attack]
    for path in paths:
        assert client.get(path).status_code == 200  # now in the page cache
        response = client.get(path, headers=headers)
        assert response.status_code == 400, path
        assert b"evil.example" not in response.data


# -- The setting itself ---------------------------------------------------------------------------


def test_production_refuses_to_start_without_shop_base_url(tmp_path, monkeypatch):
    for name in ("SHOP_BASE_URL", "SHOP_DEVELOPMENT", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    config = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "TESTING": False}
    with pytest.raises(BaseUrlError, match="SHOP_BASE_URL is required"):
        create_app(config)
    app = create_app({**config, "SHOP_DEVELOPMENT": True})
    assert app.config["SHOP_BASE_URL"] == "http://127.0.0.1:5000"
    assert "localhost" in app.config["TRUSTED_HOSTS"]


def test_production_trusts_only_the_configured_hosts(tmp_path):
    config = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "TESTING": False}
    app = create_app({**config, "SHOP_BASE_URL": SHOP + "/", "TRUSTED_HOSTS": ALIAS})
    assert app.config["TRUSTED_HOSTS"] == ["books.example", ALIAS]
    assert app.config["SHOP_BASE_URL"] == SHOP


@pytest.mark.parametrize(
    "bad", ["books.example", "ftp://books.example", "https://", "https://a@b/"]
)
def test_a_malformed_shop_base_url_is_refused(tmp_path, bad):
    with pytest.raises(BaseUrlError):
        create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True, "SHOP_BASE_URL": bad})


def test_external_url_ignores_the_request_and_keeps_a_path_prefix(make_app):
    app = make_app(SHOP_BASE_URL="https://example.org/shop")
    with app.test_request_context("/", base_url="http://localhost:8000"):
        assert external_url("catalog.book", slug="a b") == "https://example.org/shop/books/a%20b"
    with app.app_context():
        assert external_url("pages.home", _anchor="top") == "https://example.org/shop/#top"
        assert external_url("catalog.browse", page=2) == "https://example.org/shop/books?page=2"


def test_health_probes_by_ip_address_are_answered(shop_app):
    app = shop_app(TRUST_PROXY_HEADERS=1)
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "10.0.0.5:8000"}).status_code == 200
    forwarded = client.get("/healthz", headers={"X-Forwarded-Host": "evil.example"})
    assert forwarded.status_code == 200
    assert client.get("/about", headers={"Host": "10.0.0.5:8000"}).status_code == 400


def test_templates_links_are_remembered_but_follow_the_mount_path(app):
    """Templates' url_for keeps plain links it built; under another mount path, or with an
    anchor, a link is built for what was asked."""
    url_for = app.jinja_env.globals["url_for"]
    with app.test_request_context("/books"):
        assert url_for("catalog.book", slug="dacha") == "/books/dacha"
        assert url_for("catalog.book", slug="dacha") == "/books/dacha"
        assert url_for("catalog.book", slug="calf") == "/books/calf"
        assert url_for("catalog.book", slug="dacha", _anchor="reviews") == "/books/dacha#reviews"
    with app.test_request_context("/books", base_url="http://localhost/shop/"):
        assert url_for("catalog.book", slug="dacha") == "/shop/books/dacha"
