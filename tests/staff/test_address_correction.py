"""Staff correct where a paid order's parcel goes, until it ships: the history keeps the old
address, and staff are told when the new place owes another sales tax or ships for another
price."""

import re

from sqlalchemy import select

from bookstore.checkout.models import OrderEvent
from bookstore.extensions import db
from bookstore.shipping.services import RateSpec as ShippingRateSpec
from bookstore.shipping.services import set_rate as set_shipping
from bookstore.staff.models import AuditEntry
from bookstore.tax.services import RateSpec, set_rate
from tests.checkout.shoppers import order_state

NEW_ADDRESS = {
    "address-ship_name": "Anna Petrova",
    "address-ship_line1": "12 State Street",
    "address-ship_line2": "",
    "address-ship_city": "Albany",
    "address-ship_region": "NY",
    "address-ship_postal_code": "12207",
    "address-ship_country": "US",
}


def test_staff_correct_the_address_and_the_history_keeps_the_old_one(shop, staff, paid_order):
    order, _ = paid_order
    page = staff.get(f"/staff/orders/{order.reference}").get_data(as_text=True)
    assert "Correct the address" in page
    assert 'value="73 Main Street"' in page
    response = staff.post(f"/staff/orders/{order.reference}/address", data=NEW_ADDRESS)
    assert response.status_code == 303
    after = order_state(shop, order.reference)
    assert (after.ship_line1, after.ship_city, after.ship_region) == (
        "12 State Street",
        "Albany",
        "NY",
    )
    assert after.state is order.state
    with shop.app_context():
        notes = db.session.scalars(
            select(OrderEvent.note).where(OrderEvent.order_id == order.id)
        ).all()
        assert any("corrected from: Anna Petrova, 73 Main Street" in note for note in notes)
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "order.address")
        ).one()
        assert "Albany" in entry.after["address"]
    slip = staff.get(f"/staff/orders/{order.reference}/packing-slip").get_data(as_text=True)
    assert "12 State Street" in slip
    assert "73 Main Street" not in slip


def test_a_bad_address_is_refused_field_by_field_and_nothing_changes(shop, staff, paid_order):
    order, _ = paid_order
    bad = {**NEW_ADDRESS, "address-ship_postal_code": "ABC", "address-ship_line1": ""}
    response = staff.post(f"/staff/orders/{order.reference}/address", data=bad)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Enter a ZIP code such as 05602" in text
    assert "Enter the address line 1." in text
    assert order_state(shop, order.reference).ship_line1 == "73 Main Street"


def test_a_shipped_parcels_address_cannot_change(shop, staff, paid_order):
    order, _ = paid_order
    staff.post(f"/staff/orders/{order.reference}/ship", data={"ship-carrier": "USPS"})
    page = staff.get(f"/staff/orders/{order.reference}").get_data(as_text=True)
    assert "Correct the address" not in page
    response = staff.post(
        f"/staff/orders/{order.reference}/address", data=NEW_ADDRESS, follow_redirects=True
    )
    assert "This order is shipped: its address can no longer be changed." in response.get_data(
        as_text=True
    )
    assert order_state(shop, order.reference).ship_line1 == "73 Main Street"


def test_staff_hear_when_the_new_place_owes_another_tax(shop, staff, paid_order):
    order, _ = paid_order  # to Vermont, before the shop charged any tax
    with shop.app_context():
        set_rate(RateSpec("US", "NY", "New York sales tax", 8875), actor_id=None)
        db.session.commit()
    response = staff.post(
        f"/staff/orders/{order.reference}/address", data=NEW_ADDRESS, follow_redirects=True
    )
    text = response.get_data(as_text=True)
    assert "The order was charged no sales tax; the new address owes New York sales tax" in text


def test_staff_hear_when_the_new_country_ships_for_another_price(shop, staff, paid_order):
    order, _ = paid_order  # to Vermont, standard shipping
    with shop.app_context():
        spec = ShippingRateSpec("CA", standard_cents=1400, extra_copy_cents=300)
        set_shipping(spec, config=shop.config, actor_id=None)
        db.session.commit()
    to_canada = {
        **NEW_ADDRESS,
        "address-ship_city": "Ottawa",
        "address-ship_region": "ON",
        "address-ship_postal_code": "K1A 0B1",
        "address-ship_country": "CA",
    }
    response = staff.post(
        f"/staff/orders/{order.reference}/address", data=to_canada, follow_redirects=True
    )
    text = response.get_data(as_text=True)
    shipping = "$0.00" if order.shipping_cents == 0 else f"${order.shipping_cents / 100:.2f}"
    assert (
        f"The order paid {shipping} for standard shipping, which stays as it was; shipping to "
        "Canada costs $14.00, $3.00 each copy after the first; no express." in text
    )
    to_japan = {**to_canada, "address-ship_city": "Kyoto", "address-ship_region": ""}
    to_japan.update({"address-ship_postal_code": "600-8216", "address-ship_country": "JP"})
    japan = staff.post(
        f"/staff/orders/{order.reference}/address", data=to_japan, follow_redirects=True
    ).get_data(as_text=True)
    # No rate for Japan or elsewhere: it ships as at home, and the note names Japan.
    assert "shipping to Japan costs $5.00; express $15.00; free from $50.00" in japan
    back_home = staff.post(
        f"/staff/orders/{order.reference}/address", data=NEW_ADDRESS, follow_redirects=True
    ).get_data(as_text=True)
    assert "which stays as it was" not in back_home  # Japan ships as at home: nothing to say


def test_readers_cannot_correct_an_address(shop, paid_order):
    order, _ = paid_order
    response = shop.test_client().post(f"/staff/orders/{order.reference}/address", data=NEW_ADDRESS)
    assert response.status_code in (302, 401, 403)
    assert order_state(shop, order.reference).ship_line1 == "73 Main Street"


def test_a_parcel_abroad_carries_its_customs_declaration(shop, staff, paid_order):
    order, _ = paid_order  # 2 paperbacks at $16 (and an ebook, which is not in the parcel)
    slip = staff.get(f"/staff/orders/{order.reference}/packing-slip").get_data(as_text=True)
    assert "Customs declaration" not in slip  # within the United States
    to_japan = {
        **NEW_ADDRESS,
        "address-ship_city": "Kyoto",
        "address-ship_region": "",
        "address-ship_postal_code": "600-8216",
        "address-ship_country": "JP",
    }
    assert staff.post(f"/staff/orders/{order.reference}/address", data=to_japan).status_code == 303
    slip = staff.get(f"/staff/orders/{order.reference}/packing-slip").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", slip).split())
    assert "Customs declaration (CN 22)" in text
    assert "Category: Sale of goods · Tariff number (HS) 4901.99 · Origin United States" in text
    assert "Printed book: Murder at the Dacha 2 $32.00" in text
    assert "Total 2 $32.00" in text
    assert "EPUB" not in text.split("Customs declaration")[1]
