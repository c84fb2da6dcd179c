"""Policy pages: shipped defaults, edited by staff in Markdown (sanitised), linked everywhere."""

import pytest

from bookstore.accounts.models import Role
from bookstore.extensions import db
from bookstore.policies.models import Policy
from bookstore.staff.models import AuditEntry
from tests.factories import make_book, make_user
from tests.storefront.helpers import log_in

POLICY_PATHS = ["/policies/shipping", "/policies/returns", "/policies/privacy", "/policies/terms"]


@pytest.fixture
def staff_client(app):
    with app.app_context():
        user = make_user("olga@example.com", name="Olga Staff", role=Role.STAFF)
        db.session.commit()
        client = app.test_client()
        log_in(client, user)
        return client


@pytest.mark.parametrize("path", POLICY_PATHS)
def test_each_policy_page_shows_its_shipped_text_until_staff_edit_it(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h2>" in page  # the Markdown was rendered
    assert "Last updated" not in page


def test_an_unknown_policy_is_a_404(client):
    assert client.get("/policies/refund-everything").status_code == 404


def test_the_footer_links_every_policy_page_the_contact_form_and_the_service_address(app, client):
    page = client.get("/").get_data(as_text=True)
    for path in [*POLICY_PATHS, "/contact"]:
        assert f'href="{path}"' in page
    address = app.config["CUSTOMER_SERVICE_EMAIL"]
    assert f'href="mailto:{address}"' in page


def test_the_service_address_is_a_setting(make_app):
    client = make_app(CUSTOMER_SERVICE_EMAIL="orders@shop.example").test_client()
    assert 'href="mailto:orders@shop.example"' in client.get("/").get_data(as_text=True)


def test_the_checkout_details_page_links_the_policies(app, client):
    with app.app_context():
        edition_id = make_book("Murder at the Dacha").editions[0].id
        db.session.commit()
    client.post("/cart/add", data={"edition_id": str(edition_id), "quantity": "1"})
    page = client.get("/checkout").get_data(as_text=True)
    for path in POLICY_PATHS:
        assert f'href="{path}"' in page


def test_staff_edit_a_policy_and_the_page_shows_it_sanitised(app, client, staff_client):
    form = staff_client.get("/staff/policies/returns")
    assert form.status_code == 200
    assert "Changed your mind?" in form.get_data(as_text=True)  # the shipped text to start from
    response = staff_client.post(
        "/staff/policies/returns",
        data={
            "title": "Returns",
            "body_markdown": "## Sixty days\n\nSend it back.<script>alert(1)</script>"
            '\n\n[bad](javascript:alert(2)) <a href="/x" onclick="evil()">x</a>',
            "save": "1",
        },
    )
    assert response.status_code == 303
    page = client.get("/policies/returns").get_data(as_text=True)
    assert "<h2>Sixty days</h2>" in page
    assert "Last updated" in page
    assert "alert(1)" not in page
    assert 'href="javascript:' not in page
    assert "onclick" not in page
    with app.app_context():
        assert db.session.query(Policy).filter_by(slug="returns").one().title == "Returns"
        entry = db.session.query(AuditEntry).filter_by(action="policy.edit").one()
        assert entry.summary == "Edited the returns and refunds page"


def test_a_preview_saves_nothing(app, staff_client):
    response = staff_client.post(
        "/staff/policies/terms",
        data={"title": "Terms", "body_markdown": "**Bold** terms", "preview": "1"},
    )
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Policy).count() == 0


def test_an_empty_policy_is_refused_with_a_message(staff_client):
    response = staff_client.post(
        "/staff/policies/privacy", data={"title": "Privacy", "body_markdown": "", "save": "1"}
    )
    assert response.status_code == 400
    assert "This field is required" in response.get_data(as_text=True)


def test_customers_cannot_edit_policies(app):
    with app.app_context():
        customer = make_user("reader@example.com")
        db.session.commit()
        client = app.test_client()
        log_in(client, customer)
    assert client.get("/staff/policies").status_code == 403
    assert client.post("/staff/policies/terms", data={"title": "x"}).status_code == 403


def test_visitors_are_sent_to_log_in(client):
    response = client.get("/staff/policies/shipping")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_staff_see_every_policy_page_in_their_list(staff_client):
    page = staff_client.get("/staff/policies").get_data(as_text=True)
    for slug in ("shipping", "returns", "privacy", "terms"):
        assert f'href="/staff/policies/{slug}"' in page
