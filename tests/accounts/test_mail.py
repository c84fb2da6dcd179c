"""The mail module: both parts, the outbox, SMTP, extra headers, and sending after commit."""

import logging

import pytest
from sqlalchemy import select

from bookstore.extensions import db
from bookstore.jobs import Job, JobState
from bookstore.mail import MailError, pending_messages, send_after_commit, send_email
from tests.factories import make_user
from tests.fixtures.mail import Outbox, html_body, text_body

WELCOME = {"name": "Anna <b>", "account_url": "http://x/account", "reset_url": "http://x/r"}


def test_message_has_a_text_and_an_html_part_written_to_the_outbox(app_ctx, outbox, caplog):
    caplog.set_level(logging.INFO, logger="bookstore.mail")
    where = send_email("anna@example.com", "Welcome", "welcome", **WELCOME)

    assert len(outbox) == 1
    message = outbox[0]
    assert message["To"] == "anna@example.com"
    assert message["Subject"] == "Welcome"
    assert message["From"] == app_ctx.config["MAIL_DEFAULT_SENDER"]
    assert message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"
    assert "Hello Anna <b>," in text_body(message)
    # The HTML part escapes what it is given; the text part keeps it as typed.
    assert "Hello Anna &lt;b&gt;," in html_body(message)
    assert "http://x/account" in html_body(message)
    assert where.endswith(".eml")
    assert where in caplog.text


def test_extra_headers_are_added(app_ctx, outbox):
    send_email(
        "anna@example.com",
        "Digest",
        "welcome",
        headers={
            "List-Unsubscribe": "<http://x/unsubscribe/abc>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        **WELCOME,
    )
    message = outbox[0]
    assert message["List-Unsubscribe"] == "<http://x/unsubscribe/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("anna@example.com\r\nBcc: eve@example.com", "Hi"),
        ("anna@example.com", "Hi\nBcc: eve@example.com"),
        ("not an address", "Hi"),
    ],
)
def test_header_injection_and_bad_addresses_are_refused(app_ctx, outbox, to, subject):
    with pytest.raises(MailError):
        send_email(to, subject, "welcome", **WELCOME)
    assert len(outbox) == 0


def test_send_after_commit_waits_for_the_commit(app_ctx, outbox):
    make_user("anna@example.com")
    send_after_commit("anna@example.com", "Welcome", "welcome", **WELCOME)
    assert len(outbox) == 0
    assert len(pending_messages()) == 1

    db.session.commit()

    assert len(outbox) == 1
    assert pending_messages() == []


def test_send_after_commit_without_pending_changes_still_sends_on_commit(app_ctx, outbox):
    send_after_commit("anna@example.com", "Welcome", "welcome", **WELCOME)
    db.session.commit()
    assert len(outbox) == 1


def test_send_after_commit_is_dropped_on_rollback(app_ctx, outbox):
    make_user("anna@example.com")
    send_after_commit("anna@example.com", "Welcome", "welcome", **WELCOME)
    db.session.rollback()
    db.session.commit()
    assert len(outbox) == 0


def test_a_failed_delivery_after_commit_is_logged_not_raised_and_kept(make_app, caplog):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_TIMEOUT_SECONDS=2)
    with app.app_context():
        user = make_user("anna@example.com")
        send_after_commit("anna@example.com", "Welcome", "welcome", **WELCOME)
        db.session.commit()
        assert db.session.get(type(user), user.id) is not None
        # Kept for the next attempt, with the reason.
        job = db.session.scalar(select(Job))
        assert job.state is JobState.PENDING
        assert job.attempts == 1
        assert "Connection refused" in job.last_error
    assert "failed, attempt 1 of 10" in caplog.text


def test_send_email_through_smtp_raises_when_the_server_is_down(make_app):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_TIMEOUT_SECONDS=2)
    with app.app_context(), pytest.raises(MailError):
        send_email("anna@example.com", "Welcome", "welcome", **WELCOME)


def test_with_mail_server_set_messages_go_through_smtp(make_app, smtp_server, tmp_path):
    app = make_app(**smtp_server.config)
    with app.app_context():
        send_email("anna@example.com", "Welcome", "welcome", **WELCOME)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["Subject"] == "Welcome"
    assert "Hello Anna" in text_body(message)
    assert "Hello Anna" in html_body(message)
    assert smtp_server.envelopes[0].rcpt_tos == ["anna@example.com"]
    assert len(Outbox(app.config["MAIL_OUTBOX"])) == 0


def test_smtp_login_is_used_when_a_username_is_set(make_app):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.fixtures.mail import SMTPServer, _CollectingHandler, _free_port

    logins = []

    def authenticator(_server, _session, _envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    server = SMTPServer(host="127.0.0.1", port=_free_port())
    controller = Controller(
        _CollectingHandler(server),
        hostname=server.host,
        port=server.port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        app = make_app(**server.config, MAIL_USERNAME="mailer", MAIL_PASSWORD="s3cret")
        with app.app_context():
            send_email("anna@example.com", "Welcome", "welcome", **WELCOME)
        bad = make_app(**server.config, MAIL_USERNAME="mailer", MAIL_PASSWORD="wrong")
        with bad.app_context(), pytest.raises(MailError):
            send_email("anna@example.com", "Welcome", "welcome", **WELCOME)
    finally:
        controller.stop()
    assert [login for _m, login, _p in logins] == [b"mailer", b"mailer"]
    assert len(server.messages) == 1
