"""The cart reminder: one email for a cart left for CART_REMINDER_HOURS, never more than one
per cart, never after buying, only for guests who agreed, and one click stops them."""

from datetime import timedelta
from pathlib import Path

from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from bookstore.jobs import schedules
from tests.alerts.helpers import link_path, reader_client
from tests.checkout.shoppers import Buyer
from tests.factories import make_book
from tests.fixtures.mail import Outbox, text_body


def later(hours: float):
    return utcnow() + timedelta(hours=hours)


def remind(app, hours: float) -> int:
    with app.app_context():
        return schedules.queue_cart_reminders(now=later(hours))


def edition(app, on_hand: int = 5) -> int:
    with app.app_context():
        edition_id = make_book("Murder at the Dacha", on_hand=on_hand).editions[0].id
        db.session.commit()
    return edition_id


def test_a_signed_in_shopper_gets_one_reminder_after_the_delay(app, outbox):
    edition_id = edition(app)
    client, _ = reader_client(app, "shopper@example.com")
    client.post("/cart/add", data={"edition_id": edition_id, "quantity": "1"})
    assert remind(app, 23) == 0
    assert remind(app, 25) == 1
    assert remind(app, 26) == 0
    assert remind(app, 60) == 0
    [message] = outbox
    assert message["To"] == "shopper@example.com"
    assert "Murder at the Dacha" in text_body(message)
    assert "/cart" in text_body(message)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_delay_is_a_setting_and_zero_turns_reminders_off(make_app, outbox):
    app = make_app(CART_REMINDER_HOURS=0)
    edition_id = edition(app)
    client, _ = reader_client(app)
    client.post("/cart/add", data={"edition_id": edition_id, "quantity": "1"})
    assert remind(app, 1000) == 0


def test_a_guest_is_reminded_only_after_agreeing_at_checkout(app, outbox):
    edition_id = edition(app)
    agreed, declined, silent = Buyer(app), Buyer(app), Buyer(app)
    for buyer in (agreed, declined, silent):
        buyer.add(edition_id)
    agreed.give_details(email="yes@example.com", cart_reminder="y")
    declined.give_details(email="no@example.com")
    assert remind(app, 25) == 1
    assert [m["To"] for m in outbox] == ["yes@example.com"]


def test_one_click_unsubscribe_stops_cart_reminders(app, outbox):
    edition_id = edition(app)
    client, _ = reader_client(app, "shopper@example.com")
    client.post("/cart/add", data={"edition_id": edition_id, "quantity": "1"})
    remind(app, 25)
    stop = link_path(outbox[0]["List-Unsubscribe"], "/alerts/reminders/stop/")
    anonymous = app.test_client()
    assert "Stop cart reminders" in anonymous.get(stop).text
    assert anonymous.post(stop).status_code == 200
    assert anonymous.post(stop).status_code == 200  # twice is harmless
    outbox.clear()
    # A new cart later (every line added after the reminder) would be reminded: not now.
    with app.app_context():
        second = make_book("The Samovar", on_hand=3).editions[0].id
        db.session.commit()
    client.post("/cart/remove", data={"edition_id": edition_id})
    client.post("/cart/add", data={"edition_id": second, "quantity": "1"})
    remind(app, 50)
    assert len(outbox) == 0


def test_no_reminder_after_buying_or_while_paying(shop, stripe_sandbox):
    outbox = Outbox(Path(shop.config["MAIL_OUTBOX"]))
    edition_id = edition(shop)
    client, _ = reader_client(shop, "buyer@example.com")
    buyer = Buyer(shop, client)
    checkout = buyer.checkout(edition_id, 1, email="buyer@example.com")
    # At the payment page: not reminded.
    assert remind(shop, 25) == 0
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    outbox.clear()
    # Bought: the cart is empty, nothing to remind of.
    assert remind(shop, 25) == 0
    assert remind(shop, 50) == 0
    assert [m["Subject"] for m in outbox if "left something" in m["Subject"]] == []
