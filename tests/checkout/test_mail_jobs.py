"""Emails queued by a change (an order's confirmation, its shipping and refund notes) keep what
was rendered when they were queued; the worker sends exactly that after the commit."""

from bookstore.extensions import db
from bookstore.mail import build_email, enqueue_message, pending_messages, send_after_commit
from tests.fixtures.mail import html_body, text_body

WELCOME = {"name": "Anna <b>", "account_url": "http://x/account", "reset_url": "http://x/r"}
UNSUBSCRIBE = {"List-Unsubscribe": "<http://x/unsubscribe/abc>"}


def test_the_sent_message_is_the_one_rendered_and_dated_when_it_was_queued(app_ctx, outbox):
    send_after_commit("anna@example.com", "Welcome", "welcome", headers=UNSUBSCRIBE, **WELCOME)
    [queued] = pending_messages()

    db.session.commit()

    [sent] = outbox
    for header in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe"):
        assert sent[header] == queued[header], header
    assert sent["Subject"] == "Welcome"
    assert sent.get_content_type() == "multipart/alternative"
    assert "Hello Anna <b>," in text_body(sent)
    assert "Hello Anna &lt;b&gt;," in html_body(sent)
    assert text_body(sent) == text_body(queued)
    assert html_body(sent) == html_body(queued)


def test_a_job_holding_a_whole_message_is_sent_as_it_is(app_ctx, outbox):
    # As the digest queues its copies, and as email jobs were queued before they kept the
    # rendered parts only.
    message = build_email("anna@example.com", "Welcome", "welcome", **WELCOME)
    enqueue_message(message)

    db.session.commit()

    [sent] = outbox
    assert sent["Message-ID"] == message["Message-ID"]
    assert "Hello Anna <b>," in text_body(sent)
