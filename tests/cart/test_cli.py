"""``flask carts purge``: abandoned guest carts go, users' carts stay."""

from datetime import timedelta

from bookstore.cart import services
from bookstore.cart.models import Cart
from bookstore.dbtypes import utcnow
from bookstore.extensions import db
from tests.factories import make_book, make_user


def make_carts(days_old: int):
    """An old guest cart with a line, a fresh guest cart and an old user cart."""
    old_guest = services.open_cart(None, None)
    services.add_item(old_guest, make_book().editions[0].id, 1, max_per_line=10)
    fresh_guest = services.open_cart(None, None)
    old_user = services.open_cart(make_user())
    old_guest.updated_at = old_user.updated_at = utcnow() - timedelta(days=days_old)
    db.session.commit()
    return old_guest.id, fresh_guest.id, old_user.id


def remaining_carts() -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(db.select(Cart.id)))


def test_purge_deletes_guest_carts_older_than_the_configured_days(app_ctx, runner):
    old_guest, fresh_guest, old_user = make_carts(days_old=31)
    result = runner.invoke(args=["carts", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 guest cart unchanged for 30 days or more." in result.output
    assert remaining_carts() == {fresh_guest, old_user}


def test_purge_takes_its_age_from_the_option(app_ctx, runner):
    _old_guest, fresh_guest, old_user = make_carts(days_old=5)
    assert "Deleted 0 guest carts" in runner.invoke(args=["carts", "purge"]).output
    result = runner.invoke(args=["carts", "purge", "--older-than-days", "3"])
    assert "Deleted 1 guest cart unchanged for 3 days" in result.output
    assert remaining_carts() == {fresh_guest, old_user}


def test_purge_refuses_a_nonsense_age(runner):
    for bad in ("0", "-1", "abc"):
        result = runner.invoke(args=["carts", "purge", "--older-than-days", bad])
        assert result.exit_code == 2
