"""Password rules and hashing: length kept whole, common choices refused with a clear message."""

import pytest

from bookstore.accounts.passwords import (
    WeakPassword,
    check_password_rules,
    common_passwords,
    hash_password,
    verify_password,
)


def test_the_shipped_list_has_a_few_thousand_common_passwords():
    common = common_passwords()
    assert len(common) > 3000
    assert {"password", "123456", "qwerty", "iloveyou", "letmein"} <= common


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "PASSWORD",
        "Password1",
        "password123!",
        "Password2024!",
        "12345678",
        "qwertyuiop",
        "1q2w3e4r",
        "p@ssw0rd",
        "iloveyou",
        "aaaaaaaaaa",
        "abababab",
        "football2023",
        "!!dragon99",
    ],
)
def test_common_and_breached_looking_passwords_are_refused(password):
    with pytest.raises(WeakPassword, match="too common"):
        check_password_rules(password)


@pytest.mark.parametrize(
    "password",
    [
        "samovar under the birch trees",
        "Tolstoy wrote at Yasnaya Polyana",
        "correct horse battery staple",
        "g7#Kq9!vRz",
        "my password is a long sentence",
    ],
)
def test_uncommon_passwords_are_accepted(password):
    check_password_rules(password, email="anna@example.com", name="Anna Petrova")


def test_password_of_seven_characters_is_too_short():
    with pytest.raises(WeakPassword, match="at least 8 characters"):
        check_password_rules("x7#Kq9!")


def test_password_of_256_characters_is_accepted_and_257_refused():
    check_password_rules("x7#Kq9!v" * 32)
    with pytest.raises(WeakPassword, match="at most 256 characters"):
        check_password_rules("x7#Kq9!v" * 32 + "z")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("anna.petrova-rocks", "email address"),
        ("ANNA.PETROVA2025xyz", "email address"),
        ("my name is petrova!", "your name"),
        ("annapetrova in moscow", "your name"),
    ],
)
def test_passwords_containing_the_email_or_the_name_are_refused(password, message):
    with pytest.raises(WeakPassword, match=message):
        check_password_rules(password, email="anna.petrova@example.com", name="Anna Petrova")


def test_a_short_name_inside_an_unrelated_word_is_not_a_match():
    # "Al" appears in "always" but is too short to count as using one's name.
    check_password_rules("always read the footnotes", email="al@example.com", name="Al Li")


def test_hash_is_scrypt_and_keeps_the_password_whole():
    hashed = hash_password("  spaces around a phrase  ")
    assert hashed.startswith("scrypt:")
    assert verify_password(hashed, "  spaces around a phrase  ")
    assert not verify_password(hashed, "spaces around a phrase")
    long_password = "b" * 200 + "x7#Kq9!v" * 7
    hashed_long = hash_password(long_password)
    assert verify_password(hashed_long, long_password)
    # No truncation: changing only the last character makes it wrong.
    assert not verify_password(hashed_long, long_password[:-1] + "w")


def test_verify_without_a_hash_is_false():
    assert verify_password(None, "anything at all") is False
