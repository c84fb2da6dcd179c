"""Password reset by an emailed link: single use, time limited, no user enumeration."""

import time

import pytest
from sqlalchemy import func, select

from bookstore.accounts.tokens import make_reset_token
from bookstore.extensions import db
from bookstore.jobs import Job, run_due
from tests.accounts.helpers import STRONG_PASSWORD, is_logged_in, link_in, log_in
from tests.factories import TEST_PASSWORD, make_user
from tests.fixtures.mail import html_body

NEW_PASSWORD = "a brand new samovar of tea"


def add_user(app, email="anna@example.com"):
    with app.app_context():
        user = make_user(email, name="Anna Petrova")
        db.session.commit()
        return user.id


def choose_password(client, path, password=NEW_PASSWORD):
    return client.post(path, data={"password": password, "confirm": password})


def test_forgotten_password_is_reset_from_the_outbox(app, client, outbox):
    add_user(app)
    response = client.post("/account/reset", data={"email": "Anna@example.com"})
    assert response.status_code == 302
    assert "we have sent it a link" in client.get(response.location).get_data(as_text=True)

    (message,) = outbox.to("anna@example.com")
    assert message["Subject"] == "Reset your password"
    path = link_in(message, "/account/reset/")
    assert path in html_body(message)
    assert client.get(path).status_code == 200

    response = choose_password(client, path)

    assert response.status_code == 302
    assert response.location == "/account/login"
    assert log_in(client, "anna@example.com", TEST_PASSWORD).status_code == 200
    assert log_in(client, "anna@example.com", NEW_PASSWORD).status_code == 302
    assert is_logged_in(client)
    assert outbox.to("anna@example.com")[-1]["Subject"] == "Your password was changed"


def test_forgotten_password_is_reset_through_a_real_smtp_server(make_app, smtp_server):
    app = make_app(**smtp_server.config)
    add_user(app)
    client = app.test_client()

    client.post("/account/reset", data={"email": "anna@example.com"})

    (message,) = smtp_server.to("anna@example.com")
    assert message["Subject"] == "Reset your password"
    path = link_in(message, "/account/reset/")
    assert choose_password(client, path).location == "/account/login"
    assert log_in(client, "anna@example.com", NEW_PASSWORD).status_code == 302


def test_a_slow_mail_server_does_not_tell_which_addresses_have_accounts(make_app, smtp_server):
    smtp_server.delay = 1.5
    # Jobs wait for a worker, as in production (not run right after the commit).
    app = make_app(**smtp_server.config, JOBS_RUN_INLINE=False)
    add_user(app)
    client = app.test_client()

    def answer_time(email):
        started = time.perf_counter()
        response = client.post("/account/reset", data={"email": email})
        assert response.status_code == 302
        return time.perf_counter() - started

    known, unknown = answer_time("anna@example.com"), answer_time("nobody@example.com")
    # The known address's link is sent by a worker: the answer does not wait 1.5 s.
    assert known < smtp_server.delay, (known, unknown)
    assert smtp_server.to("anna@example.com") == []
    with app.app_context():
        assert run_due()["done"] == 2
    (message,) = smtp_server.to("anna@example.com")
    assert message["Subject"] == "Reset your password"
    assert smtp_server.to("nobody@example.com") == []


def test_known_and_unknown_addresses_do_the_same_work_one_job_each(make_app):
    app = make_app(JOBS_RUN_INLINE=False)
    add_user(app)
    client = app.test_client()

    def jobs_written_by(email):
        with app.app_context():
            before = db.session.scalar(select(func.coalesce(func.max(Job.id), 0)))
        client.post("/account/reset", data={"email": email})
        with app.app_context():
            rows = db.session.scalars(select(Job).where(Job.id > before)).all()
            return [(job.kind, sorted(job.payload)) for job in rows]

    known, unknown = jobs_written_by("anna@example.com"), jobs_written_by("nobody@example.com")
    assert known == unknown == [("password-reset", ["email"])]


def test_reset_answer_is_the_same_for_an_unknown_address_and_nothing_is_sent(app, client, outbox):
    add_user(app)
    known = client.post("/account/reset", data={"email": "anna@example.com"})
    known_page = client.get(known.location).get_data(as_text=True)
    unknown = client.post("/account/reset", data={"email": "nobody@example.com"})
    unknown_page = client.get(unknown.location).get_data(as_text=True)

    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location
    assert known_page == unknown_page
    assert len(outbox.to("nobody@example.com")) == 0
    assert len(outbox) == 1


def test_a_reset_link_works_only_once(app, client, outbox):
    add_user(app)
    client.post("/account/reset", data={"email": "anna@example.com"})
    path = link_in(outbox[0], "/account/reset/")
    choose_password(client, path)

    again = client.get(path)
    assert again.status_code == 302
    assert "expired or was already used" in client.get(again.location).get_data(as_text=True)
    response = choose_password(client, path, STRONG_PASSWORD)
    assert response.location == "/account/reset"
    assert log_in(client, "anna@example.com", STRONG_PASSWORD).status_code == 200


def test_a_new_password_voids_every_older_reset_link(app, client, outbox):
    add_user(app)
    client.post("/account/reset", data={"email": "anna@example.com"})
    client.post("/account/reset", data={"email": "anna@example.com"})
    first, second = (link_in(m, "/account/reset/") for m in outbox.to("anna@example.com"))
    choose_password(client, second)
    assert choose_password(client, first, STRONG_PASSWORD).location == "/account/reset"


def test_an_expired_reset_link_is_refused(make_app, outbox):
    app = make_app(PASSWORD_RESET_MAX_AGE=1)
    user_id = add_user(app)
    with app.test_request_context():
        from bookstore.accounts.models import User

        token = make_reset_token(db.session.get(User, user_id))
    time.sleep(2.1)
    client = app.test_client()
    response = choose_password(client, f"/account/reset/{token}")
    assert response.location == "/account/reset"
    assert log_in(client, "anna@example.com", NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize("token", ["nonsense", "x" * 300, "eyJ1aWQiOjF9.AAAA.BBBB"])
def test_a_forged_reset_link_is_refused_with_a_message(app, client, token):
    add_user(app)
    response = client.get(f"/account/reset/{token}")
    assert response.status_code == 302
    assert "expired or was already used" in client.get(response.location).get_data(as_text=True)


def test_a_reset_ends_every_session_of_the_user(app, client, outbox):
    add_user(app)
    laptop = app.test_client()
    log_in(laptop, "anna@example.com")
    client.post("/account/reset", data={"email": "anna@example.com"})
    choose_password(client, link_in(outbox[0], "/account/reset/"))
    assert not is_logged_in(laptop)


def test_a_weak_new_password_is_refused_and_the_link_still_works(app, client, outbox):
    add_user(app)
    client.post("/account/reset", data={"email": "anna@example.com"})
    path = link_in(outbox[0], "/account/reset/")

    response = choose_password(client, path, "password1")

    assert response.status_code == 200
    assert "too common" in response.get_data(as_text=True)
    assert choose_password(client, path).location == "/account/login"


def test_reset_request_with_a_malformed_address_gets_a_message(client, outbox):
    response = client.post("/account/reset", data={"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.get_data(as_text=True)
    assert len(outbox) == 0
