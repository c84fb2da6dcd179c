"""Cart changes: find or open a cart, add, change, remove, empty, merge on login, purge.

A guest's cart is found by a random token kept in the signed session cookie; a logged-in
user's by ``user_id`` (unique). Carts are created lazily, on the first add. Every function
takes the cart (or the user) explicitly, raises ``bookstore.errors`` on bad input, flushes and
never commits. A refused change leaves the cart exactly as it was.

Pricing lives in ``bookstore.cart.pricing`` and is re-exported here.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from bookstore.accounts.export import edition_data, moment
from bookstore.accounts.models import User
from bookstore.cart.models import Cart, CartLine
from bookstore.cart.pricing import (  # noqa: F401  (re-exported for checkout and deals)
    CartPricing,
    LinePricing,
    cart_lines,
    price_cart,
    settle_cart,
    shipping_for,
)
from bookstore.cart.rules import edition_label, line_limit, unavailable_reason
from bookstore.catalog.models import Edition
from bookstore.database import built_once, rowcount
from bookstore.dbtypes import utcnow
from bookstore.errors import InvalidInput, NotFound, OutOfStock
from bookstore.extensions import db
from bookstore.inventory import availability

SESSION_KEY = "cart_token"
TOKEN_BYTES = 32
# A guest cart that is looked at but not changed still counts as in use, at most once a day.
KEEP_ALIVE_EVERY = timedelta(days=1)
_WITH_BOOK = joinedload(Edition.book)


def new_token() -> str:
    """A fresh, unguessable guest-cart token (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _valid_token(token: object) -> bool:
    return isinstance(token, str) and 20 <= len(token) <= 64


def find_cart(user: User | None, token: str | None) -> Cart | None:
    """The user's cart when ``user`` is given, else the guest cart of ``token``; or ``None``.

    A token never finds a cart that belongs to a user, so a stale cookie cannot reach it.
    """
    if user is not None:
        return db.session.scalars(_user_cart(), {"user_id": user.id}).one_or_none()
    if not _valid_token(token):
        return None
    return db.session.scalars(_guest_cart(), {"token": token}).one_or_none()


@built_once  # every cart and checkout page asks
def _guest_cart() -> Select[Cart]:
    return select(Cart).where(Cart.token == bindparam("token"), Cart.user_id.is_(None))


@built_once
def _user_cart() -> Select[Cart]:
    return select(Cart).where(Cart.user_id == bindparam("user_id"))


def visitor_cart(user: User | None, token: str | None) -> Cart:
    """The visitor's existing cart; ``NotFound`` when there is none to change."""
    cart = find_cart(user, token)
    if cart is None:
        raise NotFound("Your cart is empty: there is nothing to change.")
    return cart


def open_cart(user: User | None, token: str | None = None) -> Cart:
    """The visitor's cart, created when there is none (a new guest cart gets a new token)."""
    return _open_cart(user, token)[0]


def _open_cart(user: User | None, token: str | None) -> tuple[Cart, bool]:
    """``open_cart``, and whether it is a guest cart this call created (no lines yet)."""
    cart = find_cart(user, token)
    if cart is not None:
        return cart, False
    if user is None:
        cart = Cart(token=new_token())
        db.session.add(cart)
        db.session.flush()
        return cart, True
    # Two first requests of one user may race: the unique user_id decides, nobody fails.
    stmt = _insert(Cart).values(token=new_token(), user_id=user.id, created_at=utcnow())
    db.session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id"]))
    return db.session.scalars(select(Cart).where(Cart.user_id == user.id)).one(), False


def _insert(model: type[Cart] | type[CartLine]) -> Any:
    """An INSERT supporting ``ON CONFLICT`` on the session's database (SQLite or PostgreSQL)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def _check_quantity(quantity: object, max_per_line: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidInput(f"Please choose a quantity from 1 to {max_per_line}.")
    if not 1 <= quantity <= max_per_line:
        raise InvalidInput(f"Please choose a quantity from 1 to {max_per_line}.")
    return quantity


def _free_to_cart(cart: Cart, edition: Edition) -> int | None:
    """Copies this cart may count on (lapsed holds and its own checkout's count as free)."""
    if not edition.is_physical:
        return None
    if cart.id is None:
        return availability.free_copies([edition.id]).get(edition.id, 0)
    return availability.free_for_cart(cart.id, [edition.id]).get(edition.id, 0)


def _sellable_edition(cart: Cart, edition_id: int) -> tuple[Edition, int | None]:
    """The edition and the copies the cart may count on; refused when it cannot be sold."""
    # With its book: the caller names it ("Added ... to your cart").
    found = isinstance(edition_id, int)
    edition = db.session.get(Edition, edition_id, options=[_WITH_BOOK]) if found else None
    if edition is None:
        raise NotFound("That book could not be found.")
    available = _free_to_cart(cart, edition)
    reason = unavailable_reason(edition, available)
    if reason is not None:
        raise OutOfStock(reason, edition_id=edition.id)
    return edition, available


def _too_many(edition: Edition, wanted: int, have: int, max_per_line: int) -> Exception:
    """The error for asking ``wanted`` copies in all when fewer may be ordered."""
    label = edition_label(edition)
    limit = line_limit(edition, max_per_line=max_per_line)
    if not edition.is_physical:
        if have:
            return InvalidInput(f"{label} is already in your cart: an ebook is bought once.")
        return InvalidInput(f"{label} is an ebook: the quantity is always 1.")
    already = f" You already have {have} in your cart." if have else ""
    if limit < max_per_line:
        copies = "copy" if limit == 1 else "copies"
        return OutOfStock(
            f"Only {limit} {copies} of {label} can be ordered now.{already}",
            edition_id=edition.id,
        )
    return InvalidInput(f"You can order at most {max_per_line} of {label} at a time.{already}")


def _line(cart: Cart, edition_id: int, *, refresh: bool = False) -> CartLine | None:
    query = select(CartLine).where(CartLine.cart_id == cart.id, CartLine.edition_id == edition_id)
    if refresh:
        query = query.execution_options(populate_existing=True)
    return db.session.scalars(query).one_or_none()


def touch(cart: Cart) -> None:
    """Record that the cart changed (abandoned guest carts are purged by this time)."""
    cart.updated_at = utcnow()


def add_item(
    cart: Cart, edition_id: int, quantity: int, *, max_per_line: int, new_cart: bool = False
) -> CartLine:
    """Add ``quantity`` copies of an edition, on top of any already in the cart.

    Refused (nothing changes) when the edition is unknown, retired, out of print or out of
    stock, or when the line would hold more than may be ordered. The price is the database's.
    ``new_cart``: the cart was created in this transaction, so it has no line to look for.
    """
    _check_quantity(quantity, max_per_line)
    edition, available = _sellable_edition(cart, edition_id)
    limit = line_limit(edition, max_per_line=max_per_line, available=available)
    existing = None if new_cart else _line(cart, edition.id)
    have = existing.quantity if existing is not None else 0
    if have + quantity > limit:
        raise _too_many(edition, have + quantity, have, max_per_line)
    if cart.id is None:
        db.session.flush()
    # One statement backed by the (cart, edition) unique key: two simultaneous adds of a new
    # line end as one line, and the WHERE keeps the sum within the limit whoever wins.
    stmt = _insert(CartLine).values(
        cart_id=cart.id,
        edition_id=edition.id,
        quantity=quantity,
        price_seen_cents=edition.price_cents,
        added_at=utcnow(),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["cart_id", "edition_id"],
        set_={
            "quantity": CartLine.quantity + stmt.excluded.quantity,
            "price_seen_cents": stmt.excluded.price_seen_cents,
        },
        where=CartLine.quantity + stmt.excluded.quantity <= limit,
    ).returning(CartLine.id)
    if db.session.execute(stmt).first() is None:
        current = _line(cart, edition.id, refresh=True)
        have = current.quantity if current is not None else 0
        raise _too_many(edition, have + quantity, have, max_per_line)
    if not new_cart:  # a new cart's time is its creation's
        touch(cart)
    db.session.expire(cart, ["lines"])
    line = _line(cart, edition.id, refresh=True)
    db.session.flush()
    if line is None:  # the upsert above made or kept it
        raise LookupError(f"cart line of edition {edition.id} vanished")
    # The line keeps the edition (and its book) read above, for the caller's message.
    set_committed_value(line, "edition", edition)
    return line


def add_to_visitor_cart(
    user: User | None, token: str | None, edition_id: int, quantity: int, *, max_per_line: int
) -> tuple[Cart, CartLine]:
    """Add to the visitor's cart, opening one first if needed (a refusal opens none once the
    caller rolls back). Returns the cart, whose token a new guest must keep, and the line."""
    cart, created = _open_cart(user, token)
    line = add_item(cart, edition_id, quantity, max_per_line=max_per_line, new_cart=created)
    return cart, line


def set_quantity(cart: Cart, edition_id: int, quantity: int, *, max_per_line: int) -> CartLine:
    """Set the quantity of a line already in the cart (1 to what may be ordered)."""
    _check_quantity(quantity, max_per_line)
    line = _line(cart, edition_id) if isinstance(edition_id, int) else None
    if line is None:
        raise NotFound("That book is not in your cart.")
    edition = line.edition
    available = _free_to_cart(cart, edition)
    reason = unavailable_reason(edition, available)
    if reason is not None:
        raise OutOfStock(f"{reason} Please remove it from your cart.", edition_id=edition.id)
    if quantity > line_limit(edition, max_per_line=max_per_line, available=available):
        raise _too_many(edition, quantity, 0, max_per_line)
    if line.quantity != quantity:
        line.quantity = quantity
        touch(cart)
    db.session.flush()
    return line


def remove_line(cart: Cart, edition_id: int) -> Edition:
    """Take an edition out of the cart; returns the edition, for the message."""
    line = _line(cart, edition_id) if isinstance(edition_id, int) else None
    if line is None:
        raise NotFound("That book is not in your cart.")
    edition = line.edition
    db.session.delete(line)
    touch(cart)
    db.session.flush()
    db.session.expire(cart, ["lines"])
    return edition


def set_membership(cart: Cart, wanted: bool) -> bool:
    """Put a year of membership in the cart, or take it out; False if nothing changed."""
    if cart.membership == wanted:
        return False
    cart.membership = wanted
    touch(cart)
    db.session.flush()
    return True


def empty_cart(cart: Cart) -> int:
    """Remove every line (and the membership); returns how many lines there were."""
    result = db.session.execute(delete(CartLine).where(CartLine.cart_id == cart.id))
    cart.membership = False
    cart.gift_email = cart.gift_name = cart.gift_message = ""
    touch(cart)
    db.session.flush()
    db.session.expire(cart, ["lines"])
    return rowcount(result)


def review_cart(cart: Cart | None, *, today: date, config: Mapping[str, Any]) -> CartPricing:
    """Price the cart for its page and settle what changed (warnings are shown once)."""
    pricing = price_cart(cart, today=today, config=config)
    if cart is None:
        return pricing
    if pricing.needs_review:
        settle_cart(pricing)
        touch(cart)
    elif cart.user_id is None and utcnow() - cart.updated_at > KEEP_ALIVE_EVERY:
        touch(cart)
    db.session.flush()
    return pricing


def merge_guest_cart(guest_cart: Cart, user_cart: Cart, *, max_per_line: int) -> list[str]:
    """Move the guest cart's lines into the user's cart and delete the guest cart.

    Quantities of the same edition are added, then capped by what may be ordered; editions
    that can no longer be sold are left out. Returns messages saying what was moved and what
    had to change.
    """
    notes: list[str] = []
    mine = {line.edition_id: line for line in cart_lines(user_cart)}
    moved = 0
    for guest_line in cart_lines(guest_cart):
        edition = guest_line.edition
        label = edition_label(edition)
        reason = unavailable_reason(edition)
        if reason is not None:
            notes.append(f"{reason} It was not added to your cart.")
            continue
        limit = line_limit(edition, max_per_line=max_per_line)
        own = mine.get(edition.id)
        have = own.quantity if own is not None else 0
        wanted = have + guest_line.quantity
        new = min(wanted, limit)
        if new < wanted:
            notes.append(_capped_note(edition, label, have, wanted, new, max_per_line))
        if own is None:
            db.session.add(
                CartLine(
                    cart_id=user_cart.id,
                    edition_id=edition.id,
                    quantity=new,
                    price_seen_cents=guest_line.price_seen_cents,
                )
            )
        else:
            own.quantity = new
        moved += max(new - have, 0)
    if guest_cart.membership and not user_cart.membership:
        user_cart.membership = True
        moved += 1
    if guest_cart.gift_email and not user_cart.gift_email:
        user_cart.gift_email = guest_cart.gift_email
        user_cart.gift_name = guest_cart.gift_name
        user_cart.gift_message = guest_cart.gift_message
        moved += 1
    db.session.delete(guest_cart)
    touch(user_cart)
    db.session.flush()
    db.session.expire(user_cart, ["lines"])
    if moved:
        items = "item" if moved == 1 else "items"
        notes.insert(0, f"We added the {moved} {items} from your guest cart to your cart.")
    return notes


def _capped_note(
    edition: Edition, label: str, have: int, wanted: int, new: int, max_per_line: int
) -> str:
    if not edition.is_physical:
        return f"{label} was already in your cart (an ebook is bought once)."
    if new < max_per_line:
        return f"{label}: only {new} can be ordered now, so your cart has {new}, not {wanted}."
    return f"{label}: at most {max_per_line} per order, so your cart has {new}, not {wanted}."


def merge_on_login(user: User, guest_token: str | None, *, max_per_line: int) -> list[str]:
    """Merge the guest cart of ``guest_token`` (if any) into ``user``'s cart; returns notes."""
    guest_cart = find_cart(None, guest_token)
    if guest_cart is None:
        return []
    if not cart_lines(guest_cart) and not guest_cart.membership and not guest_cart.gift_email:
        db.session.delete(guest_cart)
        db.session.flush()
        return []
    return merge_guest_cart(guest_cart, open_cart(user), max_per_line=max_per_line)


def purge_guest_carts(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete guest carts not changed for ``older_than`` (never a user's cart); returns how
    many were deleted. Their lines go with them (ON DELETE CASCADE)."""
    cutoff = (now or utcnow()) - older_than
    stmt = delete(Cart).where(Cart.user_id.is_(None), Cart.updated_at < cutoff)
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    return rowcount(result)


def cart_item_count(user: User | None, token: str | None) -> int:
    """Copies (and a membership) in the visitor's cart, in one query; no query for a guest
    without a token."""
    if user is None:
        if not _valid_token(token):
            return 0
        return int(db.session.scalar(_guest_cart_count(), {"token": token}) or 0)
    return int(db.session.scalar(_user_cart_count(), {"user_id": user.id}) or 0)


def _cart_count_query() -> Select[tuple[int]]:
    copies = (
        select(func.coalesce(func.sum(CartLine.quantity), 0))
        .where(CartLine.cart_id == Cart.id)
        .scalar_subquery()
    )
    return select(
        copies + case((Cart.membership, 1), else_=0) + case((Cart.gift_email != "", 1), else_=0)
    )


def user_cart_count(user_id: Any) -> ColumnElement[int]:
    """The copies (and a membership) in the cart of the user whose id is ``user_id`` (a
    column), as a subquery read with the signed-in user (``accounts.sessions``)."""
    count = _cart_count_query().where(Cart.user_id == user_id).scalar_subquery()
    return func.coalesce(count, 0)  # no cart yet


# Every page's header shows the count: the queries are built once (see built_once).
@built_once
def _user_cart_count() -> Select[tuple[int]]:
    return _cart_count_query().where(Cart.user_id == bindparam("user_id"))


@built_once
def _guest_cart_count() -> Select[tuple[int]]:
    return _cart_count_query().where(Cart.token == bindparam("token"), Cart.user_id.is_(None))


def cart_data(user: User) -> dict[str, object] | None:
    """What is in the reader's cart, with any gift note they wrote, for their data file."""
    cart = find_cart(user, None)
    if cart is None:
        return None
    gift = {"to": cart.gift_name, "email": cart.gift_email, "message": cart.gift_message}
    return {
        "lines": [
            {
                **edition_data(line.edition),
                "quantity": line.quantity,
                "added_at": moment(line.added_at),
            }
            for line in cart.lines
        ],
        "membership": cart.membership,
        "gift": gift if any(gift.values()) else None,
    }
