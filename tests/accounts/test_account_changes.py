"""The account page, changing the password and changing the email address."""

import pytest

from bookstore.accounts.sections import register_account_section
from bookstore.extensions import db
from tests.accounts.helpers import STRONG_PASSWORD, is_logged_in, log_in
from tests.factories import TEST_PASSWORD, make_user


@pytest.fixture
def anna(app):
    with app.app_context():
        make_user("anna@example.com", name="Anna Petrova")
        make_user("boris@example.com", name="Boris")
        db.session.commit()


@pytest.fixture
def logged_in(client, anna):
    log_in(client, "anna@example.com")
    return client


@pytest.mark.parametrize(
    "path", ["/account/", "/account/password", "/account/email", "/account/data", "/account/close"]
)
def test_account_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/account/login?next=")


def test_account_page_shows_details_and_links(logged_in):
    page = logged_in.get("/account/").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert "Anna Petrova" in page
    assert "anna@example.com" in page
    assert 'href="/account/password"' in page
    assert 'href="/account/email"' in page


def test_other_features_can_add_sections_to_the_account_page(app, logged_in, tmp_path):
    from jinja2 import ChoiceLoader, DictLoader

    app.jinja_loader = ChoiceLoader(
        [
            DictLoader({"test/_section.html": "<section><h2>Orders of {{ section.who }}</h2>"}),
            app.jinja_loader,
        ]
    )
    register_account_section(app, "test/_section.html", lambda user: {"who": user.name})
    page = logged_in.get("/account/").get_data(as_text=True)
    assert "<h2>Orders of Anna Petrova</h2>" in page


def change_password(client, current=TEST_PASSWORD, new=STRONG_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={"current_password": current, "password": new, "confirm": confirm or new},
    )


def test_password_change_takes_effect_and_emails_the_user(app, logged_in, outbox):
    response = change_password(logged_in)
    assert response.location == "/account/"
    assert "Other devices have been logged out" in logged_in.get("/account/").get_data(as_text=True)
    other = app.test_client()
    assert log_in(other, "anna@example.com", TEST_PASSWORD).status_code == 200
    assert log_in(other, "anna@example.com", STRONG_PASSWORD).status_code == 302
    assert outbox.to("anna@example.com")[-1]["Subject"] == "Your password was changed"


@pytest.mark.parametrize(
    ("current", "new", "message"),
    [
        ("wrong current password", STRONG_PASSWORD, "Your current password is not right."),
        (TEST_PASSWORD, "qwerty123", "too common"),
        (TEST_PASSWORD, "short", "at least 8 characters"),
        (TEST_PASSWORD, "petrova reads books", "must not contain your name"),
    ],
)
def test_bad_password_change_is_refused_and_nothing_changes(
    app, logged_in, outbox, current, new, message
):
    response = change_password(logged_in, current, new)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert is_logged_in(logged_in)
    assert log_in(app.test_client(), "anna@example.com", TEST_PASSWORD).status_code == 302
    assert len(outbox) == 0


def change_email(client, email, password=TEST_PASSWORD):
    return client.post("/account/email", data={"email": email, "password": password})


def test_email_change_needs_the_password_and_tells_both_addresses(app, logged_in, outbox):
    response = change_email(logged_in, "Anna.New@example.com")
    assert response.location == "/account/"
    assert "anna.new@example.com" in logged_in.get("/account/").get_data(as_text=True)
    assert log_in(app.test_client(), "anna.new@example.com").status_code == 302
    assert log_in(app.test_client(), "anna@example.com").status_code == 200
    for address in ("anna@example.com", "anna.new@example.com"):
        assert outbox.to(address)[-1]["Subject"] == "Your email address was changed"


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("anna.new@example.com", "wrong password here", "Your password is not right."),
        ("boris@example.com", TEST_PASSWORD, "That email address cannot be used."),
        ("ANNA@example.com", TEST_PASSWORD, "That is already your email address."),
        ("not-an-address", TEST_PASSWORD, "Enter a valid email address"),
    ],
)
def test_bad_email_change_is_refused_and_nothing_changes(
    app, logged_in, outbox, email, password, message
):
    response = change_email(logged_in, email, password)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert "anna@example.com" in logged_in.get("/account/").get_data(as_text=True)
    assert len(outbox) == 0
