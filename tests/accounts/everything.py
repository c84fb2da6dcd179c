"""A reader with something in every corner of the shop, for the closing and export tests."""

from __future__ import annotations

from datetime import timedelta

from bookstore.accounts.models import Role
from bookstore.addresses.models import SavedAddress
from bookstore.cart.services import add_item, open_cart
from bookstore.checkout.states import OrderState
from bookstore.dbtypes import utcnow
from bookstore.deals.services import claim_deal
from bookstore.extensions import db
from bookstore.members.services import grant_membership
from bookstore.policies.models import ContactMessage
from bookstore.reviews import moderation
from bookstore.reviews import services as reviews
from bookstore.wishlist.services import save
from tests.alerts.helpers import waiting_alert
from tests.deals.builders import make_deal
from tests.digest.helpers import make_subscriber
from tests.factories import make_book, make_user
from tests.reviews.helpers import buy, published_review


def reader_with_everything(email: str) -> tuple[int, int, int]:
    """A member ("Anna Petrova") with an address, a saved book, a cart, a claimed deal, two
    alerts and two contact messages (one of each made as a guest, by address), the digest, a
    shipped order, a published review of *Murder at the Dacha* and a helpful vote for Nina's
    review of it; committed. Returns her id, the Dacha's and Nina's review's."""
    now = utcnow()
    dacha = make_book("Murder at the Dacha", price_cents=1600, on_hand=5)
    tales = make_book("Winter Tales", price_cents=1200, on_hand=0)
    user = make_user(email, name="Anna Petrova")
    grant_membership(user, until=now + timedelta(days=200), actor=None, reason="press", now=now)
    address = {
        "name": "Anna Petrova",
        "line1": "73 Main Street",
        "city": "Montpelier",
        "region": "VT",
        "postal_code": "05602",
        "country": "US",
    }
    db.session.add(SavedAddress(user_id=user.id, is_default=True, **address))
    save(user, tales.editions[0].id)
    add_item(open_cart(user), dacha.editions[0].id, 1, max_per_line=10)
    claim_deal(make_deal(now=now), user, now)
    waiting_alert(tales.editions[0].id, user_id=user.id)
    waiting_alert(tales.editions[0].id, email=email)  # made as a guest, before her account
    make_subscriber(email)
    order = buy(user, dacha, OrderState.SHIPPED)
    order.ship_name, order.ship_line1, order.ship_city = (
        "Anna Petrova",
        "73 Main Street",
        "Montpelier",
    )
    for sender, body in ((user.id, "Is my parcel on its way?"), (None, "Sent as a guest.")):
        db.session.add(
            ContactMessage(user_id=sender, name="Anna", email=email, topic="order", body=body)
        )
    mine = reviews.write_review(user, dacha, rating=2, title="", body="Not for me, sadly.")
    moderation.approve(mine.id, mine.revision, actor=make_user(role=Role.STAFF))
    nina = published_review(dacha, rating=5, body="Wonderful dacha.")
    reviews.vote_helpful(user, nina.id)
    db.session.commit()
    return user.id, dacha.id, nina.id
