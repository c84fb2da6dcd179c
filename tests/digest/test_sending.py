"""``flask digest send`` through a real SMTP server (aiosmtpd): headers, content, at most once."""

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bookstore.dbtypes import utcnow
from bookstore.demo.deals import load_demo_deals
from bookstore.digest.builder import week_of
from bookstore.digest.models import DeliveryState, DigestDelivery, SubscriberStatus
from bookstore.extensions import db
from bookstore.journal.models import Post
from tests.deals.builders import make_member
from tests.digest.helpers import WEEK, link_path, make_subscriber
from tests.factories import make_book
from tests.fixtures.mail import SMTPServer, _CollectingHandler, _free_port, html_body, text_body


class FlakyHandler(_CollectingHandler):
    """Accepts ``accept`` messages, then answers every DATA with a temporary failure."""

    def __init__(self, server, accept):
        super().__init__(server)
        self.accept = accept

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.accept is not None and len(self.server.envelopes) >= self.accept:
            return "451 4.3.0 Mail server overloaded, try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def flaky_smtp():
    """A real SMTP server that fails after three messages until ``handler.accept = None``."""
    server = SMTPServer(host="127.0.0.1", port=_free_port())
    handler = FlakyHandler(server, accept=3)
    controller = Controller(handler, hostname=server.host, port=server.port)
    controller.start()
    yield server, handler
    controller.stop()


def recipients(server):
    return sorted(str(m["To"]) for m in server.messages)


def test_digest_goes_to_confirmed_subscribers_only_with_one_click_headers(make_app, smtp_server):
    app = make_app(**smtp_server.config, SHOP_BASE_URL="https://books.example")
    with app.app_context():
        make_subscriber("yes@example.com")
        make_subscriber("pending@example.com", status=SubscriberStatus.PENDING)
        make_subscriber("gone@example.com", status=SubscriberStatus.UNSUBSCRIBED)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert "stuck" not in result.output
    [message] = smtp_server.messages
    assert message["To"] == "yes@example.com"
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://books.example/digest/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe.strip("<>")
    assert link in text_body(message)
    assert link in html_body(message)


def test_one_click_unsubscribe_from_the_header_stops_the_next_digest(make_app, smtp_server):
    app = make_app(**smtp_server.config)
    with app.app_context():
        make_subscriber("fan@example.com")
        db.session.commit()
    runner = app.test_cli_runner()
    runner.invoke(args=["digest", "send"])
    path = link_path(smtp_server.messages[0]["List-Unsubscribe"], "/digest/unsubscribe/")
    response = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    next_week = week_of(utcnow() + timedelta(days=7))
    result = runner.invoke(args=["digest", "send", "--week", next_week])
    assert "sent 0" in result.output
    assert len(smtp_server.messages) == 1


def test_members_get_deal_details_and_others_a_join_teaser(make_app, smtp_server):
    app = make_app(**smtp_server.config)
    with app.app_context():
        now = utcnow()
        load_demo_deals(now)
        make_member("member@example.com", now=now)
        make_subscriber("member@example.com")
        make_subscriber("reader@example.com")
        db.session.add(
            Post(title="Chekhov in Yalta", slug="chekhov", published_at=now - timedelta(days=1))
        )
        make_book("The Coming Novel", published_on=(now + timedelta(days=20)).date())
        make_book("The New Novel", published_on=(now - timedelta(days=2)).date())
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    [member_copy] = smtp_server.to("member@example.com")
    [reader_copy] = smtp_server.to("reader@example.com")
    for copy in (member_copy, reader_copy):
        for part in (text_body(copy), html_body(copy)):
            assert "Chekhov in Yalta" in part
            assert "The Coming Novel" in part
            assert "The New Novel" in part
    assert "Members save 15% on every book" in text_body(member_copy)
    assert "Claim" in html_body(member_copy)
    assert "Members save 15%" not in text_body(reader_copy)
    assert "Members have 2 deals open this week" in text_body(reader_copy)
    assert "/membership" in html_body(reader_copy)


def test_a_run_that_fails_half_way_and_a_rerun_send_everyone_exactly_once(make_app, flaky_smtp):
    server, handler = flaky_smtp
    app = make_app(MAIL_SERVER=server.host, MAIL_PORT=server.port)
    emails = [f"reader{n}@example.com" for n in range(6)]
    with app.app_context():
        for email in emails:
            make_subscriber(email)
        db.session.commit()
    runner = app.test_cli_runner()

    first = runner.invoke(args=["digest", "send"])
    assert first.exit_code == 1
    assert "Stopped: the mail server failed" in first.output
    assert "Run the same command again" in first.output
    assert len(server.messages) == 3

    handler.accept = None  # the server recovers
    second = runner.invoke(args=["digest", "send"])
    assert second.exit_code == 0, second.output
    assert "sent 3" in second.output
    third = runner.invoke(args=["digest", "send"])
    assert "sent 0" in third.output

    assert recipients(server) == sorted(emails)
    with app.app_context():
        states = db.session.scalars(select(DigestDelivery.state)).all()
    assert states == [DeliveryState.SENT] * 6


def test_a_crash_half_way_and_a_rerun_send_everyone_exactly_once(
    make_app, smtp_server, monkeypatch
):
    from bookstore.digest import sender

    app = make_app(**smtp_server.config)
    emails = [f"reader{n}@example.com" for n in range(4)]
    with app.app_context():
        for email in emails:
            make_subscriber(email)
        db.session.commit()
    real_build = sender.build_message
    calls = []

    def crash_on_third(digest, subscriber, *, is_member):
        calls.append(subscriber.email)
        if len(calls) == 3:
            raise KeyboardInterrupt  # the process dies half-way through the run
        return real_build(digest, subscriber, is_member=is_member)

    monkeypatch.setattr(sender, "build_message", crash_on_third)
    runner = app.test_cli_runner()
    crashed = runner.invoke(args=["digest", "send"])
    assert crashed.exit_code != 0
    assert len(smtp_server.messages) == 2

    monkeypatch.setattr(sender, "build_message", real_build)
    rerun = runner.invoke(args=["digest", "send"])
    assert rerun.exit_code == 0, rerun.output
    # A claim and its queued copy are one transaction: the copy caught by the crash was
    # never claimed, so the re-run sends it; nobody gets a second copy.
    assert recipients(smtp_server) == sorted(emails)
    assert "stuck" not in rerun.output
    with app.app_context():
        states = db.session.scalars(select(DigestDelivery.state)).all()
    assert states == [DeliveryState.SENT] * 4
    assert "sent 0" in runner.invoke(args=["digest", "send"]).output


def test_stuck_copies_are_reported_for_the_week_sent_only(make_app, smtp_server):
    app = make_app(**smtp_server.config)
    with app.app_context():
        stuck = [make_subscriber(f"stuck{n}@example.com") for n in range(7)]
        make_subscriber("fine@example.com")
        for subscriber in stuck:
            db.session.add(DigestDelivery(subscriber_id=subscriber.id, week=WEEK))
        db.session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["digest", "send", "--week", WEEK])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert f"{WEEK}: 7 copy(ies) stuck in 'sending'" in result.output
    assert "stuck0@example.com, stuck1@example.com" in result.output
    assert "stuck5@example.com" not in result.output
    assert "and 2 more" in result.output
    assert recipients(smtp_server) == ["fine@example.com"]

    other_week = runner.invoke(args=["digest", "send", "--week", "2026-W49"])
    assert other_week.exit_code == 0, other_week.output
    assert "stuck" not in other_week.output


def test_dry_run_counts_and_sends_nothing(make_app, smtp_server):
    app = make_app(**smtp_server.config)
    with app.app_context():
        make_member("member@example.com", now=utcnow())
        make_subscriber("member@example.com")
        make_subscriber("reader@example.com")
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["digest", "send", "--dry-run"])
    assert result.exit_code == 0
    assert "would send to 2 subscriber(s) (1 member(s)" in result.output
    assert smtp_server.messages == []
    with app.app_context():
        assert db.session.scalars(select(DigestDelivery)).all() == []


def test_a_bad_week_is_refused_clearly(runner):
    result = runner.invoke(args=["digest", "send", "--week", "2026-48"])
    assert result.exit_code == 2
    assert "A week looks like 2026-W48" in result.output
    assert (
        "There is no week 2026-W54"
        in runner.invoke(args=["digest", "preview", "--week", "2026-W54"]).output
    )


def test_preview_writes_the_html_without_sending(app, runner, tmp_path, outbox):
    target = tmp_path / "digest.html"
    result = runner.invoke(args=["digest", "preview", "--non-member", "--output", str(target)])
    assert result.exit_code == 0, result.output
    html = target.read_text()
    assert html.startswith("<!doctype html>")
    assert "Member deals" in html
    assert len(outbox) == 0
    text = runner.invoke(args=["digest", "preview", "--text"]).output
    assert "MEMBER DEALS" in text
