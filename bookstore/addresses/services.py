"""Saved addresses: keep, pick, change and forget a signed-in shopper's addresses.

Each function takes the owner explicitly and only ever touches that owner's rows; nothing
here commits.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update

from bookstore.accounts.export import moment
from bookstore.accounts.models import User
from bookstore.addresses.models import ADDRESS_FIELDS, SavedAddress
from bookstore.errors import InvalidInput, NotFound
from bookstore.extensions import db

MAX_ADDRESSES = 20


def addresses_of(user: User) -> list[SavedAddress]:
    """The user's addresses, the default first, then newest first."""
    query = (
        select(SavedAddress)
        .where(SavedAddress.user_id == user.id)
        .order_by(SavedAddress.is_default.desc(), SavedAddress.id.desc())
    )
    return list(db.session.scalars(query))


def default_address(user: User) -> SavedAddress | None:
    """The user's default address, if they have one."""
    query = select(SavedAddress).where(
        SavedAddress.user_id == user.id, SavedAddress.is_default.is_(True)
    )
    return db.session.scalar(query)


def address_of(user: User, address_id: int) -> SavedAddress:
    """One of the user's addresses; NotFound for anyone else's."""
    address = db.session.get(SavedAddress, address_id)
    if address is None or address.user_id != user.id:
        raise NotFound("No such saved address.")
    return address


def _clean(values: Mapping[str, str]) -> dict[str, str]:
    cleaned = {name: str(values.get(name) or "").strip() for name in ADDRESS_FIELDS}
    if not (cleaned["name"] and cleaned["line1"] and cleaned["city"] and cleaned["country"]):
        raise InvalidInput("An address needs a name, a street, a city and a country.")
    cleaned["postal_code"] = cleaned["postal_code"].upper()
    return cleaned


def save_address(
    user: User, values: Mapping[str, str], *, make_default: bool = False
) -> SavedAddress:
    """Keep an address (the same address twice is kept once); the first becomes the default."""
    cleaned = _clean(values)
    existing = addresses_of(user)
    for address in existing:
        if address.values() == cleaned:
            if make_default:
                set_default(user, address.id)
            return address
    if len(existing) >= MAX_ADDRESSES:
        raise InvalidInput(f"You can keep at most {MAX_ADDRESSES} addresses: delete one first.")
    address = SavedAddress(user_id=user.id, is_default=False, **cleaned)
    db.session.add(address)
    db.session.flush()
    if make_default or not existing:
        set_default(user, address.id)
    return address


def update_address(
    user: User, address_id: int, values: Mapping[str, str], *, make_default: bool = False
) -> SavedAddress:
    """Change one of the user's addresses."""
    address = address_of(user, address_id)
    for name, value in _clean(values).items():
        setattr(address, name, value)
    db.session.flush()
    if make_default:
        set_default(user, address.id)
    return address


def set_default(user: User, address_id: int) -> SavedAddress:
    """Make one address the default (the others stop being it)."""
    address = address_of(user, address_id)
    db.session.execute(
        update(SavedAddress)
        .where(SavedAddress.user_id == user.id, SavedAddress.id != address.id)
        .values(is_default=False),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()
    db.session.execute(
        update(SavedAddress).where(SavedAddress.id == address.id).values(is_default=True),
        execution_options={"synchronize_session": False},
    )
    db.session.expire_all()
    return address_of(user, address_id)


def delete_address(user: User, address_id: int) -> None:
    """Forget an address; if it was the default, the newest other one becomes the default."""
    address = address_of(user, address_id)
    was_default = address.is_default
    db.session.delete(address)
    db.session.flush()
    if was_default:
        rest = addresses_of(user)
        if rest:
            set_default(user, rest[0].id)


def checkout_values(address: SavedAddress) -> dict[str, str]:
    """The address as checkout's form fields (``ship_...``)."""
    return {f"ship_{name}": value for name, value in address.values().items()}


def from_checkout(details: Mapping[str, str]) -> dict[str, str]:
    """Checkout's ``ship_...`` values as an address."""
    return {name: str(details.get(f"ship_{name}") or "") for name in ADDRESS_FIELDS}


def addresses_data(user: User) -> list[dict]:
    """The reader's saved addresses, for their data file."""
    return [
        {**address.values(), "default": address.is_default, "saved_at": moment(address.created_at)}
        for address in addresses_of(user)
    ]
