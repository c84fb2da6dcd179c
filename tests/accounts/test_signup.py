"""Sign-up: a new account logs in at once; a taken address gets a neutral answer."""

import pytest
from flask_login import user_logged_in
from sqlalchemy import func, select

from bookstore.accounts.models import Role, User
from bookstore.extensions import db
from tests.accounts.helpers import STRONG_PASSWORD, is_logged_in, sign_up
from tests.factories import make_user


def count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_sign_up_creates_a_customer_logs_in_and_sends_a_welcome(app, client, outbox):
    response = sign_up(client, name="  Anna Petrova ", email=" Anna@Example.COM ")

    assert response.status_code == 302
    assert response.location == "/account/"
    page = client.get("/account/").get_data(as_text=True)
    assert "Anna Petrova" in page
    assert "anna@example.com" in page
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "anna@example.com"
        assert user.name == "Anna Petrova"
        assert user.role is Role.CUSTOMER
        assert user.password_hash.startswith("scrypt:")
        assert STRONG_PASSWORD not in user.password_hash
    assert [m["Subject"] for m in outbox.to("anna@example.com")] == [
        f"Welcome to {app.config['SHOP_NAME']}"
    ]


def test_sign_up_fires_user_logged_in_for_the_cart_merge(app, client):
    seen = []

    def receiver(_sender, user):
        seen.append(user.email)

    with user_logged_in.connected_to(receiver, app):
        sign_up(client)
    assert seen == ["anna@example.com"]


def test_sign_up_with_a_taken_address_does_not_say_taken_and_tells_the_owner(app, client, outbox):
    with app.app_context():
        make_user("anna@example.com", name="The Real Anna")
        db.session.commit()

    response = sign_up(client, name="Eve", email="ANNA@example.com", follow_redirects=False)

    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "We could not create an account with those details" in page
    assert "taken" not in page.lower()
    assert "already exists" not in page.lower()
    assert not is_logged_in(client)
    assert count_users(app) == 1
    (note,) = outbox.to("anna@example.com")
    assert note["Subject"] == "Someone tried to sign up with your email address"


def test_a_taken_and_a_new_address_do_the_same_work(app, client, monkeypatch):
    """Sign-up must not tell, by its timing, which addresses have accounts: both paths hash
    the password once and queue exactly one message."""
    from bookstore.accounts import services
    from bookstore.jobs import Job

    with app.app_context():
        make_user("anna@example.com", name="The Real Anna")
        db.session.commit()
    hashed = []
    real_hash = services.hash_password
    monkeypatch.setattr(services, "hash_password", lambda p: hashed.append(p) or real_hash(p))

    def work_of(email):
        hashed.clear()
        with app.app_context():
            before = db.session.scalar(select(func.coalesce(func.max(Job.id), 0)))
        sign_up(app.test_client(), email=email)
        with app.app_context():
            kinds = db.session.scalars(select(Job.kind).where(Job.id > before)).all()
        return len(hashed), kinds

    assert work_of("anna@example.com") == work_of("new@example.com") == (1, ["email"])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your name."),
        ("name", "x" * 121, "at most 120 characters"),
        ("email", "", "Enter your email address."),
        ("email", "not-an-email", "Enter a valid email address"),
        ("email", "a@b", "Enter a valid email address"),
        ("password", "short", "at least 8 characters"),
        ("password", "password123", "too common"),
        ("password", "anna-petrova-1990", "must not contain your email address"),
        ("password", "x" * 257, "at most 256 characters"),
    ],
)
def test_bad_sign_up_input_gets_a_clear_message_and_creates_nothing(
    app, client, field, value, message
):
    data = {
        "name": "Anna Petrova",
        "email": "anna-petrova@example.com",
        "password": STRONG_PASSWORD,
        "confirm": STRONG_PASSWORD,
    }
    data[field] = value
    if field == "password":
        data["confirm"] = value
    response = client.post("/account/signup", data=data)

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert count_users(app) == 0
    assert not is_logged_in(client)


def test_mismatched_confirmation_is_refused(app, client):
    response = client.post(
        "/account/signup",
        data={
            "name": "Anna",
            "email": "anna@example.com",
            "password": STRONG_PASSWORD,
            "confirm": STRONG_PASSWORD + "!",
        },
    )
    assert "The two passwords do not match." in response.get_data(as_text=True)
    assert count_users(app) == 0


def test_password_with_spaces_is_kept_whole(app, client):
    sign_up(client, password="  birch trees in winter  ")
    client.post("/account/logout")
    from tests.accounts.helpers import log_in

    assert log_in(client, "anna@example.com", "birch trees in winter").status_code == 200
    assert log_in(client, "anna@example.com", "  birch trees in winter  ").status_code == 302


def test_sign_up_page_renders_a_labelled_form(client):
    page = client.get("/account/signup").get_data(as_text=True)
    assert page.count("<h1>") == 1
    for field_id in ("name", "email", "password", "confirm"):
        assert f'<label for="{field_id}"' in page
    assert 'autocomplete="new-password"' in page


def test_logged_in_user_visiting_sign_up_goes_to_the_account(client, app):
    sign_up(client)
    assert client.get("/account/signup").location == "/account/"


def test_racing_sign_ups_with_one_address_make_one_account_and_no_error(pg_app):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    barrier = Barrier(4)

    def attempt(_):
        client = pg_app.test_client()
        barrier.wait()
        return sign_up(client, email="race@example.com").status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(attempt, range(4)))

    assert set(codes) <= {200, 302}
    assert count_users(pg_app) == 1
