"""Account operations: sign-up, authentication, password reset and changes, roles.

Services take the user explicitly, flush but never commit, and queue their emails with
``send_after_commit`` so nothing is sent for a change that is rolled back.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bookstore.accounts.confirming import confirm_url
from bookstore.accounts.mail_jobs import PASSWORD_RESET_JOB
from bookstore.accounts.models import Role, User
from bookstore.accounts.passwords import check_password_rules, hash_password, verify_password
from bookstore.accounts.tokens import user_for_reset_token
from bookstore.dbtypes import utcnow
from bookstore.errors import InvalidInput
from bookstore.extensions import db
from bookstore.jobs import enqueue
from bookstore.links import external_url
from bookstore.mail import send_after_commit


class WrongPassword(InvalidInput):
    """The current password given to confirm a change is not right."""


class EmailUnavailable(InvalidInput):
    """The address cannot be used for this account."""


class InvalidResetLink(InvalidInput):
    """The reset link is forged, expired or already used."""


# Shown for a sign-up with an address that has an account: it must not say "taken".
SIGNUP_REFUSED = (
    "We could not create an account with those details. If you already have an account, "
    "log in or reset your password; we have also sent a note to that address."
)


def normalise_email(email: str) -> str:
    """The form in which addresses are stored and compared: trimmed and lower-cased."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The user with this address, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _external(endpoint: str, **values) -> str:
    return external_url(endpoint, **values)


def sign_up(*, name: str, email: str, password: str) -> User | None:
    """Create a customer account; None when the address already has one.

    For a taken address the owner is emailed instead, and the page shows ``SIGNUP_REFUSED``
    rather than saying "taken".
    """
    name = name.strip()
    email = normalise_email(email)
    check_password_rules(password, email=email, name=name)
    existing = find_user_by_email(email)
    if existing is not None:
        # The same work as a new account (a password hash, one queued message), so the time
        # of the answer does not tell that the address has an account.
        hash_password(password)
        send_after_commit(
            existing.email,
            "Someone tried to sign up with your email address",
            "signup_existing",
            name=existing.name,
            login_url=_external("accounts.login"),
            reset_url=_external("accounts.reset_request"),
        )
        return None
    user = User(email=email, name=name, password_hash=hash_password(password))
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # Another sign-up took the address between our check and our insert.
        raise EmailUnavailable(SIGNUP_REFUSED) from None
    send_after_commit(
        user.email,
        f"Welcome to {_shop_name()}",
        "welcome",
        name=user.name,
        account_url=_external("accounts.account"),
        reset_url=_external("accounts.reset_request"),
        confirm_url=confirm_url(user),
    )
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user whose email and password these are, else None (equally slow either way)."""
    user = find_user_by_email(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    return user


def record_login(user: User) -> None:
    """Note the time of a successful login."""
    user.last_login_at = utcnow()
    db.session.flush()


def end_all_sessions(user: User) -> None:
    """Bump the user's session version: every session and remember cookie issued before ends."""
    # One UPDATE, so two racing bumps both count.
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user, ["session_version"])


def request_password_reset(email: str) -> None:
    """Queue a reset link for the address; the job emails it only if an account has it.

    Known or not, the request writes one job row and nothing else, so its answer (and its
    timing) says nothing about which addresses have accounts.
    """
    enqueue(PASSWORD_RESET_JOB, {"email": normalise_email(email)})


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset token; the token and every session end with it."""
    user = user_for_reset_token(token)
    if user is None:
        raise InvalidResetLink(
            "That reset link has expired or was already used. Ask for a new one below."
        )
    check_password_rules(new_password, email=user.email, name=user.name)
    _set_password(user, new_password)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password after checking the current one; other sessions end."""
    if not verify_password(user.password_hash, current_password):
        raise WrongPassword("Your current password is not right.")
    check_password_rules(new_password, email=user.email, name=user.name)
    _set_password(user, new_password)


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    db.session.flush()
    end_all_sessions(user)
    send_after_commit(
        user.email,
        "Your password was changed",
        "password_changed",
        name=user.name,
        reset_url=_external("accounts.reset_request"),
    )


def change_email(user: User, password: str, new_email: str) -> None:
    """Move the account to a new address after checking the password; tell the old address."""
    if not verify_password(user.password_hash, password):
        raise WrongPassword("Your password is not right.")
    new_email = normalise_email(new_email)
    old_email = user.email
    if new_email == old_email:
        raise EmailUnavailable("That is already your email address.")
    taken = db.session.scalar(select(func.count()).select_from(User).where(User.email == new_email))
    if taken:
        raise EmailUnavailable("That email address cannot be used. Try another one.")
    user.email, user.email_confirmed_at = new_email, None
    try:
        db.session.flush()
    except IntegrityError:
        # Taken between the check and the UPDATE; the caller rolls back.
        raise EmailUnavailable("That email address cannot be used. Try another one.") from None
    for address in (old_email, new_email):
        send_after_commit(
            address,
            "Your email address was changed",
            "email_changed",
            name=user.name,
            old_email=old_email,
            new_email=new_email,
            # Only the new mailbox can confirm itself.
            confirm_url=confirm_url(user) if address == new_email else None,
        )


def grant_role(email: str, role: Role, *, password: str | None, name: str | None = None):
    """Create a user with ``role``, or promote an existing one; return (user, created).

    An existing user keeps their password and is never demoted (admin stays admin).
    """
    email = normalise_email(email)
    user = find_user_by_email(email)
    if user is None:
        if password is None:
            raise InvalidInput("A new account needs a password.")
        name = (name or email.partition("@")[0]).strip()
        check_password_rules(password, email=email, name=name)
        user = User(email=email, name=name, password_hash=hash_password(password), role=role)
        db.session.add(user)
        db.session.flush()
        return user, True
    if not (user.role is Role.ADMIN and role is Role.STAFF):
        user.role = role
    db.session.flush()
    return user, False


def _shop_name() -> str:
    from flask import current_app

    return current_app.config["SHOP_NAME"]
