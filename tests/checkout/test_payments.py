"""Paying through the Stripe stand-in with the real SDK over HTTP: every path of a checkout."""

from datetime import timedelta

from sqlalchemy import select

from bookstore.cart.models import CartLine
from bookstore.catalog.models import Edition, StockMovement
from bookstore.checkout import gateway
from bookstore.checkout import views as checkout_views
from bookstore.checkout.models import DownloadLink, Order
from bookstore.checkout.states import OrderState
from bookstore.extensions import db
from tests.checkout.shoppers import order_state
from tests.factories import make_book


def _book(app, title="Murder at the Dacha", *, on_hand=5, formats=("paperback",), price=1600):
    with app.app_context():
        book = make_book(title, on_hand=on_hand, formats=formats, price_cents=price)
        ids = [e.id for e in book.editions]
        db.session.commit()
        return ids[0] if len(ids) == 1 else ids


def _counts(app, edition_id):
    with app.app_context():
        edition = db.session.get(Edition, edition_id)
        return edition.on_hand, edition.reserved


def _sales(app):
    with app.app_context():
        return [
            (m.edition_id, m.delta, m.reason)
            for m in db.session.scalars(select(StockMovement).where(StockMovement.reason == "sale"))
        ]


def _cart_lines(app, reference) -> list[tuple[int, int]]:
    """(edition id, quantity) of each line left in the cart the order was placed from."""
    with app.app_context():
        order = db.session.query(Order).filter_by(reference=reference).one()
        assert order.cart_id is not None
        return [
            (line.edition_id, line.quantity)
            for line in db.session.scalars(
                select(CartLine).where(CartLine.cart_id == order.cart_id).order_by(CartLine.id)
            )
        ]


def test_a_guest_pays_and_the_order_is_paid_once_with_one_email(
    shop, buyer, stripe_sandbox, outbox
):
    edition = _book(shop)
    checkout = buyer.checkout(edition, 2)
    assert checkout.pay_url.startswith(stripe_sandbox.url)
    assert _counts(shop, edition) == (5, 2)

    assert _cart_lines(shop, checkout.reference) == [(edition, 2)]

    paid = stripe_sandbox.pay(checkout.session_id)
    assert paid.status == 303
    stripe_sandbox.wait_for_webhooks()
    # The webhook alone (the buyer has not come back yet) empties the cart.
    assert _cart_lines(shop, checkout.reference) == []
    assert "Your cart is empty" in buyer.client.get("/cart").get_data(as_text=True)
    page = buyer.follow(paid.location)

    assert page.status_code == 200
    assert "your order is confirmed" in page.get_data(as_text=True)
    order = order_state(shop, checkout.reference)
    assert order.state is OrderState.PAID
    assert order.total_cents == 2 * 1600 + 500
    assert _counts(shop, edition) == (3, 0)
    assert _sales(shop) == [(edition, -2, "sale")]
    [mail] = outbox.to("buyer@example.com")
    assert "Murder at the Dacha" in mail.get_body(("plain",)).get_content()
    with shop.app_context():
        session = stripe_sandbox.client().v1.checkout.sessions.retrieve(checkout.session_id)
        assert session.amount_total == order.total_cents
        assert session.metadata["order_id"] == str(order.id)
        assert session.client_reference_id == order.reference


def test_the_stripe_session_is_built_from_our_prices(shop, buyer, stripe_sandbox):
    edition = _book(shop, price=1234)
    checkout = buyer.checkout(edition, 3, shipping_method="express")
    client = stripe_sandbox.client()
    items = client.v1.checkout.sessions.line_items.list(checkout.session_id).data
    assert [(i.description, i.quantity, i.amount_total) for i in items] == [
        ("Murder at the Dacha (Paperback)", 3, 3 * 1234),
        ("Shipping (express)", 1, 1500),
    ]
    session = client.v1.checkout.sessions.retrieve(checkout.session_id)
    assert session.mode == "payment"
    assert session.customer_email == "buyer@example.com"
    assert session.success_url.endswith("/checkout/success?session_id={CHECKOUT_SESSION_ID}")
    assert f"/checkout/cancel/{checkout.reference}" in session.cancel_url
    order = order_state(shop, checkout.reference)
    assert session.expires_at == int(order.reserved_until.timestamp())


def test_the_success_page_fulfils_when_it_comes_before_the_webhook(
    shop, buyer, stripe_sandbox, outbox
):
    stripe_sandbox.webhook_url = None  # the webhook has not arrived yet
    edition = _book(shop)
    checkout = buyer.checkout(edition)
    paid = stripe_sandbox.pay(checkout.session_id)
    page = buyer.follow(paid.location)
    assert "your order is confirmed" in page.get_data(as_text=True)
    assert order_state(shop, checkout.reference).state is OrderState.PAID
    assert _cart_lines(shop, checkout.reference) == []
    assert "Your cart is empty" in buyer.client.get("/cart").get_data(as_text=True)

    # Now the webhook arrives: nothing more happens.
    stripe_sandbox.deliver_to_app(shop)
    for event in stripe_sandbox.events("checkout.session.completed"):
        stripe_sandbox.replay(event["id"])
    stripe_sandbox.wait_for_webhooks()
    assert _sales(shop) == [(edition, -1, "sale")]
    assert len(outbox.to("buyer@example.com")) == 1
    assert buyer.follow(paid.location).status_code == 200


def test_the_success_page_after_the_webhook_asks_stripe_nothing(
    shop, buyer, stripe_sandbox, monkeypatch
):
    checkout = buyer.checkout(_book(shop))
    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()  # the webhook settled the order first
    asked = []
    monkeypatch.setattr(gateway, "retrieve_session", lambda session_id: asked.append(session_id))

    page = buyer.follow(paid.location)

    assert "your order is confirmed" in page.get_data(as_text=True)
    assert asked == []
    assert order_state(shop, checkout.reference).state is OrderState.PAID


def test_paying_empties_only_what_was_bought_from_the_cart(shop, buyer, stripe_sandbox):
    bought, later = _book(shop), _book(shop, "Davai!", price=1200)
    checkout = buyer.checkout(bought, 2)
    buyer.add(later)  # put in the cart while the buyer was on Stripe's page
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    assert order_state(shop, checkout.reference).state is OrderState.PAID
    assert _cart_lines(shop, checkout.reference) == [(later, 1)]
    cart_page = buyer.client.get("/cart").get_data(as_text=True)
    assert "Davai!" in cart_page
    assert "Murder at the Dacha" not in cart_page


def test_a_payment_that_fails_leaves_the_cart_as_it_was(shop, buyer, stripe_sandbox):
    edition = _book(shop)
    checkout = buyer.checkout(edition, 2)
    stripe_sandbox.pay(checkout.session_id, delayed=True)
    stripe_sandbox.settle(checkout.session_id, succeed=False)
    stripe_sandbox.wait_for_webhooks()
    assert order_state(shop, checkout.reference).state is OrderState.CANCELLED
    assert _cart_lines(shop, checkout.reference) == [(edition, 2)]


def test_a_declined_card_then_a_good_one_pays_once(shop, buyer, stripe_sandbox, outbox):
    edition = _book(shop)
    checkout = buyer.checkout(edition)
    declined = stripe_sandbox.pay(checkout.session_id, card="4000000000000002")
    assert declined.status == 402
    assert order_state(shop, checkout.reference).state is OrderState.PENDING_PAYMENT
    paid = stripe_sandbox.pay(checkout.session_id)
    assert paid.status == 303
    stripe_sandbox.wait_for_webhooks()
    assert order_state(shop, checkout.reference).state is OrderState.PAID
    assert len(outbox.to("buyer@example.com")) == 1


def test_insufficient_funds_leaves_the_order_waiting_and_the_copies_held(
    shop, buyer, stripe_sandbox
):
    edition = _book(shop)
    checkout = buyer.checkout(edition)
    refused = stripe_sandbox.pay(checkout.session_id, card="4000000000009995")
    assert refused.status == 402
    assert "insufficient" in refused.text.lower()
    stripe_sandbox.wait_for_webhooks()
    assert order_state(shop, checkout.reference).state is OrderState.PENDING_PAYMENT
    assert _counts(shop, edition) == (5, 1)


def test_a_delayed_payment_that_succeeds_is_fulfilled_when_it_settles(
    shop, buyer, stripe_sandbox, outbox
):
    edition = _book(shop)
    checkout = buyer.checkout(edition)
    pending = stripe_sandbox.pay(checkout.session_id, delayed=True)
    assert pending.status == 303
    stripe_sandbox.wait_for_webhooks()
    page = buyer.follow(pending.location)
    assert "confirming your payment" in page.get_data(as_text=True)
    assert order_state(shop, checkout.reference).state is OrderState.PENDING_PAYMENT
    assert _counts(shop, edition) == (5, 1)

    stripe_sandbox.settle(checkout.session_id, succeed=True)
    stripe_sandbox.wait_for_webhooks()
    assert order_state(shop, checkout.reference).state is OrderState.PAID
    assert _counts(shop, edition) == (4, 0)
    assert len(outbox.to("buyer@example.com")) == 1


def test_a_delayed_payment_that_fails_cancels_the_order_and_frees_the_copies(
    shop, buyer, stripe_sandbox, outbox
):
    edition = _book(shop)
    checkout = buyer.checkout(edition)
    stripe_sandbox.pay(checkout.session_id, delayed=True)
    stripe_sandbox.settle(checkout.session_id, succeed=False)
    stripe_sandbox.wait_for_webhooks()
    assert order_state(shop, checkout.reference).state is OrderState.CANCELLED
    assert _counts(shop, edition) == (5, 0)
    assert len(outbox) == 0


def test_going_back_from_stripe_cancels_the_order_and_keeps_the_cart(shop, buyer, stripe_sandbox):
    edition = _book(shop)
    checkout = buyer.checkout(edition, 2)
    response = buyer.client.get(f"/checkout/cancel/{checkout.reference}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/cart")
    assert order_state(shop, checkout.reference).state is OrderState.CANCELLED
    assert _counts(shop, edition) == (5, 0)
    cart_page = buyer.client.get("/cart").get_data(as_text=True)
    assert "Murder at the Dacha" in cart_page
    # The Stripe session can no longer be paid.
    assert stripe_sandbox.pay(checkout.session_id).status != 303


def test_an_expired_session_expires_the_order_and_frees_the_copies(shop, buyer, stripe_sandbox):
    edition = _book(shop)
    checkout = buyer.checkout(edition)
    stripe_sandbox.advance_clock(3 * 3600)
    stripe_sandbox.wait_for_webhooks()
    assert order_state(shop, checkout.reference).state is OrderState.EXPIRED
    assert _counts(shop, edition) == (5, 0)


def test_a_refund_reported_by_webhook_updates_the_order(shop, buyer, stripe_sandbox):
    edition = _book(shop)
    checkout = buyer.checkout(edition)
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    order = order_state(shop, checkout.reference)
    client = stripe_sandbox.client()

    client.v1.refunds.create({"payment_intent": order.stripe_payment_intent, "amount": 700})
    stripe_sandbox.wait_for_webhooks()
    partly = order_state(shop, checkout.reference)
    assert (partly.state, partly.refunded_cents) == (OrderState.PARTIALLY_REFUNDED, 700)

    client.v1.refunds.create({"payment_intent": order.stripe_payment_intent})
    stripe_sandbox.wait_for_webhooks()
    refunded = order_state(shop, checkout.reference)
    assert (refunded.state, refunded.refunded_cents) == (OrderState.REFUNDED, order.total_cents)


def test_an_ebook_purchase_gives_a_limited_download_link(shop, buyer, stripe_sandbox, outbox):
    edition = _book(shop, "Davai!", formats=("ebook",), price=1600)
    checkout = buyer.checkout(edition, physical=False)
    paid = stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    order = order_state(shop, checkout.reference)
    assert order.shipping_method == "none"
    assert order.total_cents == 1000
    [mail] = outbox.to("buyer@example.com")
    text = mail.get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "/downloads/" in word)
    assert "Download Davai! (EPUB)" in buyer.follow(paid.location).get_data(as_text=True)
    first = buyer.follow(link)
    assert first.status_code == 200
    assert first.mimetype == "application/epub+zip"
    assert "davai.epub" in first.headers["Content-Disposition"]
    assert first.data.startswith(b"PK")
    for _ in range(4):
        assert buyer.follow(link).status_code == 200
    assert buyer.follow(link).status_code == 404  # five downloads, then the link is used up
    assert buyer.follow(link.replace("/downloads/", "/downloads/x")).status_code == 404


def test_a_session_that_charged_another_amount_holds_the_order_for_review(
    shop, buyer, stripe_sandbox, outbox
):
    edition = _book(shop)
    checkout = buyer.checkout(edition)
    with shop.app_context():
        order = db.session.query(Order).filter_by(reference=checkout.reference).one()
        order.total_cents += 1  # as if the order and the session disagreed
        order.subtotal_cents += 1
        db.session.commit()
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    held = order_state(shop, checkout.reference)
    assert held.state is OrderState.NEEDS_REVIEW
    assert "charged" in held.review_reason
    assert _sales(shop) == []
    assert len(outbox) == 0


def _ebook_bought(shop, buyer, stripe_sandbox, outbox):
    """An ebook paid for: (the order, its download link's id, the link from the email)."""
    edition = _book(shop, "Davai!", formats=("ebook",), price=1600)
    checkout = buyer.checkout(edition, physical=False)
    stripe_sandbox.pay(checkout.session_id)
    stripe_sandbox.wait_for_webhooks()
    order = order_state(shop, checkout.reference)
    [link_row] = order.download_links
    [mail] = outbox.to("buyer@example.com")
    text = mail.get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "/downloads/" in word)
    return order, link_row, link, text


def _downloads_left(app, link_id) -> int:
    with app.app_context():
        return db.session.scalar(
            select(DownloadLink.downloads_left).where(DownloadLink.id == link_id)
        )


def _at(monkeypatch, moment) -> None:
    """The download page sees the clock at ``moment``."""
    monkeypatch.setattr(checkout_views, "utcnow", lambda: moment)


def test_a_download_link_expires_after_thirty_days(
    shop, buyer, stripe_sandbox, outbox, monkeypatch
):
    order, link_row, link, text = _ebook_bought(shop, buyer, stripe_sandbox, outbox)
    assert link_row.expires_at == order.paid_at + timedelta(days=30)
    assert "30 days" in text

    # Still good a minute before the thirty days are up...
    _at(monkeypatch, order.paid_at + timedelta(days=30, minutes=-1))
    assert buyer.follow(link).status_code == 200
    assert _downloads_left(shop, link_row.id) == 4

    # ...refused from then on (a 404 page, not an error), with downloads to spare, uncounted.
    for late in (timedelta(days=30), timedelta(days=30, minutes=1), timedelta(days=90)):
        _at(monkeypatch, order.paid_at + late)
        refused = buyer.follow(link)
        assert refused.status_code == 404
        assert refused.mimetype == "text/html"
        assert refused.headers.get("Content-Disposition") is None
    assert _downloads_left(shop, link_row.id) == 4


def test_an_expired_download_link_says_so(shop, buyer, stripe_sandbox, outbox, monkeypatch):
    order, _, link, _ = _ebook_bought(shop, buyer, stripe_sandbox, outbox)
    _at(monkeypatch, order.paid_at + timedelta(days=31))
    refused = buyer.follow(link)
    assert refused.status_code == 404
    assert "This download link has expired" in refused.get_data(as_text=True)
