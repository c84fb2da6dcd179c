"""From signing up on the site to receiving the digest: double opt-in, over SMTP and the outbox."""

from tests.digest.helpers import link_path
from tests.fixtures.mail import html_body, text_body


def is_digest(message) -> bool:
    return message["List-Unsubscribe"] is not None


def test_over_smtp_only_the_address_that_confirmed_gets_the_digest(make_app, smtp_server):
    app = make_app(**smtp_server.config, SHOP_BASE_URL="https://books.example")
    client = app.test_client()
    runner = app.test_cli_runner()
    for email in ("keen@example.com", "unsure@example.com"):
        assert client.post("/digest/subscribe", data={"email": email}).status_code == 200
    [confirmation] = smtp_server.to("keen@example.com")
    assert "Confirm" in confirmation["Subject"]

    # Signed up but not confirmed: nothing is sent yet.
    before = runner.invoke(args=["digest", "send"])
    assert before.exit_code == 0, before.output
    assert "sent 0" in before.output

    response = client.get(link_path(text_body(confirmation), "/digest/confirm/"))
    assert response.status_code == 200
    assert "You're subscribed" in response.text
    result = runner.invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output

    [digest] = [m for m in smtp_server.to("keen@example.com") if is_digest(m)]
    assert digest["To"] == "keen@example.com"
    assert "weekly:" in digest["Subject"]
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://books.example/digest/unsubscribe/" in text_body(digest)
    assert "Member deals" in html_body(digest)
    # The unconfirmed address got its confirmation request and nothing else.
    [only] = smtp_server.to("unsure@example.com")
    assert "Confirm" in only["Subject"]
    assert not is_digest(only)


def test_done_when_subscribe_confirm_and_send_writes_the_digest_to_the_outbox(
    app, client, runner, outbox
):
    home = client.get("/").text
    assert 'action="/digest/subscribe"' in home
    client.post("/digest/subscribe", data={"email": "reader@example.com"})
    client.post("/digest/subscribe", data={"email": "later@example.com"})
    [confirmation] = outbox.to("reader@example.com")
    client.get(link_path(text_body(confirmation), "/digest/confirm/"))

    result = runner.invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    [digest] = [m for m in outbox.to("reader@example.com") if is_digest(m)]
    assert "/digest/unsubscribe/" in text_body(digest)
    assert [is_digest(m) for m in outbox.to("later@example.com")] == [False]
