"""``next=`` after login goes only to paths on this site."""

import pytest
from flask import url_for

from bookstore.accounts.redirects import login_url, safe_next
from bookstore.extensions import db
from tests.accounts.helpers import log_in
from tests.factories import make_user

OFF_SITE = [
    "//evil.example",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://evil.example",
    "http://evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "///evil.example",
    " //evil.example",
    "/\t/evil.example",
    "data:text/html,hi",
    "evil.example",
    "",
]

ON_SITE = ["/", "/account/", "/books?page=2&sort=title", "/books/war-and-peace#reviews", "/cart"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_targets_are_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ON_SITE)
def test_same_site_paths_are_kept(target):
    assert safe_next(target) == target


@pytest.fixture
def shopper(app):
    with app.app_context():
        make_user("anna@example.com")
        db.session.commit()


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_with_an_off_site_next_goes_to_the_account_page(client, shopper, target):
    response = log_in(client, "anna@example.com", next_url=target)
    assert response.status_code == 302
    assert response.location == "/account/"


@pytest.mark.parametrize("target", ["//evil.example", "javascript:alert(1)"])
def test_login_page_does_not_carry_an_off_site_next_into_its_form(client, target):
    page = client.get("/account/login", query_string={"next": target}).get_data(as_text=True)
    assert "evil.example" not in page
    assert "javascript:" not in page


@pytest.mark.parametrize("target", ON_SITE)
def test_login_with_a_same_site_next_goes_there(client, shopper, target):
    response = log_in(client, "anna@example.com", next_url=target)
    assert response.location == target


def test_sign_up_with_an_off_site_next_goes_to_the_account_page(client):
    response = client.post(
        "/account/signup?next=//evil.example",
        data={
            "name": "Anna",
            "email": "anna@example.com",
            "password": "samovar under the birch trees",
            "confirm": "samovar under the birch trees",
        },
    )
    assert response.location == "/account/"


@pytest.mark.parametrize(
    "path",
    ["/books/murder-at-the-dacha", "/books/x/review", "/books?q=a b&c=d#e", "/книги/ё", "/a+b%2F"],
)
@pytest.mark.parametrize("mounted_at", ["", "/shop"])
def test_login_url_is_the_login_link_url_for_builds(app, path, mounted_at):
    with app.test_request_context("/", base_url=f"http://localhost{mounted_at}"):
        assert login_url(path) == url_for("accounts.login", next=path)
        assert login_url(path).startswith(f"{mounted_at}/account/login?next=")
