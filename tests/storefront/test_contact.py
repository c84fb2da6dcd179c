"""The contact form: kept, emailed to staff after the commit, rate-limited, with a honeypot."""

from bookstore.extensions import db
from bookstore.policies.models import ContactMessage
from tests.factories import make_user
from tests.fixtures.mail import text_body
from tests.storefront.helpers import log_in

MESSAGE = {
    "name": "Anna Karenina",
    "email": "anna@example.com",
    "topic": "order",
    "order_reference": "A1B2C3D4",
    "body": "My copy of The Little Golden Calf arrived with a torn cover.",
}


def test_a_message_is_kept_and_emailed_to_customer_service(app, client, outbox):
    response = client.post("/contact", data=MESSAGE)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/contact/sent")
    with app.app_context():
        kept = db.session.query(ContactMessage).one()
        assert (kept.name, kept.email, kept.topic) == ("Anna Karenina", "anna@example.com", "order")
        assert kept.order_reference == "A1B2C3D4"
    [message] = outbox.to(app.config["CUSTOMER_SERVICE_EMAIL"])
    assert message["Subject"] == "Contact form: An order I placed (from Anna Karenina)"
    assert message["Reply-To"] == "Anna Karenina <anna@example.com>"
    body = text_body(message)
    assert "torn cover" in body
    assert "A1B2C3D4" in body


def test_messages_go_to_contact_email_to_when_it_is_set(make_app):
    from tests.fixtures.mail import Outbox

    app = make_app(CONTACT_EMAIL_TO="desk@shop.example")
    app.test_client().post("/contact", data=MESSAGE)
    from pathlib import Path

    outbox = Outbox(Path(app.config["MAIL_OUTBOX"]))
    assert len(outbox.to("desk@shop.example")) == 1


def test_the_honeypot_field_filled_in_keeps_and_sends_nothing(app, client, outbox):
    response = client.post("/contact", data={**MESSAGE, "website": "http://spam.example"})
    assert response.status_code == 303  # a bot learns nothing
    with app.app_context():
        assert db.session.query(ContactMessage).count() == 0
    assert len(outbox) == 0


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(client):
    page = client.get("/contact").get_data(as_text=True)
    assert '<div class="contact-website" aria-hidden="true">' in page
    assert 'name="website" tabindex="-1"' in page or 'tabindex="-1"' in page


def test_a_message_without_text_is_refused_with_a_message_and_nothing_sent(app, client, outbox):
    response = client.post("/contact", data={**MESSAGE, "body": ""})
    assert response.status_code == 400
    assert "This field is required" in response.get_data(as_text=True)
    assert len(outbox) == 0
    with app.app_context():
        assert db.session.query(ContactMessage).count() == 0


def test_an_unknown_topic_is_refused(client, outbox):
    response = client.post("/contact", data={**MESSAGE, "topic": "refund-me-twice"})
    assert response.status_code == 400
    assert len(outbox) == 0


def test_a_signed_in_shopper_finds_their_name_and_address_filled_in(app):
    with app.app_context():
        user = make_user("ivan@example.com", name="Ivan Petrov")
        db.session.commit()
        client = app.test_client()
        log_in(client, user)
        page = client.get("/contact").get_data(as_text=True)
        assert 'value="Ivan Petrov"' in page
        assert 'value="ivan@example.com"' in page
        client.post("/contact", data={**MESSAGE, "name": "Ivan Petrov", "email": user.email})
        assert db.session.query(ContactMessage).one().user_id == user.id


def test_the_form_is_rate_limited_per_client(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", CONTACT_RATELIMIT="2/hour"
    )
    client = app.test_client()
    assert client.post("/contact", data=MESSAGE).status_code == 303
    assert client.post("/contact", data=MESSAGE).status_code == 303
    third = client.post("/contact", data=MESSAGE)
    assert third.status_code == 429
    assert "wait an hour" in third.get_data(as_text=True)
    assert client.get("/contact").status_code == 200  # reading the form is never limited
    with app.app_context():
        assert db.session.query(ContactMessage).count() == 2


def test_the_contact_form_keeps_csrf_protection(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    assert client.post("/contact", data=MESSAGE).status_code == 400
