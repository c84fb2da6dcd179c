"""Saving editions for later, and moving them between the wishlist and the cart.

Services take the user, flush and never commit; the view commits once.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Exists, bindparam, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from bookstore.accounts.export import edition_data, moment
from bookstore.accounts.models import User
from bookstore.cart import services as cart_services
from bookstore.cart.models import CartLine
from bookstore.catalog.models import Edition
from bookstore.database import built_once, rowcount
from bookstore.dbtypes import utcnow
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db
from bookstore.wishlist.models import WishlistItem

# A wishlist is a short list of intentions, not a catalog: keep it to a page.
MAX_ITEMS = 200


def items_of(user: User) -> list[WishlistItem]:
    """The user's saved editions, newest first, with their books."""
    return list(
        db.session.scalars(
            select(WishlistItem)
            .where(WishlistItem.user_id == user.id)
            .options(joinedload(WishlistItem.edition).joinedload(Edition.book))
            .order_by(WishlistItem.added_at.desc(), WishlistItem.id.desc())
        )
    )


def saved_edition_ids(user: User) -> set[int]:
    """Ids of the editions the user saved (for "Saved" marks on pages)."""
    return set(
        db.session.scalars(select(WishlistItem.edition_id).where(WishlistItem.user_id == user.id))
    )


def saved_among(user: User, edition_ids: list[int]) -> set[int]:
    """Which of these editions the user saved (one query, bounded by the page's editions)."""
    if not edition_ids:
        return set()
    bound = {"user_id": user.id, "ids": edition_ids}
    return set(db.session.connection().execute(_saved_among(), bound).scalars())


def saved_any(user_id: ColumnElement[int]) -> Exists:
    """Has the user whose id is ``user_id`` (a column) saved anything at all?"""
    return exists().where(WishlistItem.user_id == user_id)


@built_once  # every signed-in book and list page asks
def _saved_among():
    return select(WishlistItem.edition_id).where(
        WishlistItem.user_id == bindparam("user_id"),
        WishlistItem.edition_id.in_(bindparam("ids", expanding=True)),
    )


def save(user: User, edition_id: int) -> Edition:
    """Save an edition for later (saving it twice is harmless); returns the edition."""
    edition = db.session.get(Edition, edition_id)
    if edition is None or not edition.active:
        raise NotFound("That book could not be found.")
    saved = saved_edition_ids(user)
    if edition_id in saved:
        return edition
    if len(saved) >= MAX_ITEMS:
        raise InvalidInput(
            f"Your wishlist holds at most {MAX_ITEMS} books: remove some before saving more."
        )
    insert = (
        postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    # A double click saves once: the (user, edition) unique key decides, nobody fails.
    stmt = insert(WishlistItem).values(user_id=user.id, edition_id=edition_id, added_at=utcnow())
    db.session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "edition_id"]))
    return edition


def remove(user: User, edition_id: int) -> None:
    """Take an edition off the wishlist."""
    result = db.session.execute(
        delete(WishlistItem).where(
            WishlistItem.user_id == user.id, WishlistItem.edition_id == edition_id
        )
    )
    if rowcount(result) == 0:
        raise NotFound("That book is not on your wishlist.")


def move_to_cart(user: User, edition_id: int, *, max_per_line: int) -> CartLine:
    """One copy into the cart, off the wishlist; refused (nothing changes) when it cannot be
    ordered now."""
    if edition_id not in saved_edition_ids(user):
        raise NotFound("That book is not on your wishlist.")
    cart = cart_services.open_cart(user)
    existing = next((line for line in cart.lines if line.edition_id == edition_id), None)
    line = existing or cart_services.add_item(cart, edition_id, 1, max_per_line=max_per_line)
    remove(user, edition_id)
    return line


def save_cart_line(user: User, edition_id: int) -> Edition:
    """ "Save for later" on a cart line: the line leaves the cart for the wishlist."""
    cart = cart_services.visitor_cart(user, None)
    edition = cart_services.remove_line(cart, edition_id)
    save(user, edition.id)
    return edition


def wishlist_data(user: User) -> list[dict]:
    """The reader's saved editions, for their data file."""
    return [
        {**edition_data(item.edition), "saved_at": moment(item.added_at)} for item in items_of(user)
    ]
