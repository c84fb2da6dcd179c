"""Password hashing and the rules a new password must meet.

Passwords are hashed with werkzeug's scrypt and kept whole: never stripped or truncated, so
"  my long pass phrase  " is a different password from "my long pass phrase".
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from bookstore.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 256
HASH_METHOD = "scrypt"

_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
# Digits and symbols people add around a common word to pass length or class rules.
_DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class WeakPassword(InvalidInput):
    """The password breaks a rule; the message says which."""


def hash_password(password: str) -> str:
    """Hash ``password`` with scrypt (salted)."""
    return generate_password_hash(password, method=HASH_METHOD)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``; with no hash, spend the same time and return False."""
    if not password_hash:
        # Hash something anyway, so an unknown email answers as slowly as a wrong password.
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(password_hash, password)


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not the password of anyone", method=HASH_METHOD)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common and breached-looking passwords, lower case."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _looks_common(password: str) -> bool:
    lowered = unicodedata.normalize("NFKC", password).lower()
    common = common_passwords()
    if lowered in common or lowered.strip() in common:
        return True
    core = _DECORATION.sub("", lowered)
    # "Password2024!" is "password" dressed up; a longer phrase around a word is fine.
    if core in common and len(core) >= 4:
        return True
    squeezed = re.sub(r"\s+", "", lowered)
    return squeezed in common or len(set(squeezed)) <= 2


def check_password_rules(password: str, *, email: str = "", name: str = "") -> None:
    """Raise ``WeakPassword`` with a clear message if ``password`` may not be used."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters for your password.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters for your password.")
    if _looks_common(password):
        raise WeakPassword(
            "That password is too common: it appears in lists of leaked passwords. "
            "Choose something less predictable, such as three or four unrelated words."
        )
    lowered = password.lower()
    local_part = email.strip().lower().partition("@")[0]
    if len(local_part) >= 3 and local_part in lowered:
        raise WeakPassword("Your password must not contain your email address.")
    full_name = re.sub(r"\s+", "", name.strip().lower())
    name_parts = [part for part in name.lower().split() if len(part) >= 4]
    if (len(full_name) >= 3 and full_name in re.sub(r"\s+", "", lowered)) or any(
        part in lowered for part in name_parts
    ):
        raise WeakPassword("Your password must not contain your name.")
