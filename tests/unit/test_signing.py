"""Small signed values skip zlib; large ones are signed as itsdangerous signs them, and every
form reads back, through the shop's serializer and through itsdangerous' own."""

import zlib

import pytest
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bookstore.signing import COMPRESS_FROM, SignedValues

SECRET = "a-secret-key-for-the-tests"


def test_a_first_visits_session_and_token_are_signed_without_zlib(monkeypatch):
    def no_zlib(_data):
        raise AssertionError("zlib was called for a small payload")

    monkeypatch.setattr(zlib, "compress", no_zlib)
    signer = SignedValues(SECRET, salt="cookie-session")
    session = {"csrf_token": "0123456789abcdef0123456789abcdef01234567"}
    signed = signer.dumps(session)
    assert not signed.startswith(".")  # the uncompressed form
    assert signer.loads(signed) == session
    token = SignedValues(SECRET, salt="wtf-csrf-token").dumps(session["csrf_token"])
    # Flask-WTF checks the token with itsdangerous' own serializer.
    assert (
        URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").loads(token)
        == (session["csrf_token"])
    )


def test_a_large_payload_is_compressed_exactly_as_itsdangerous_does_it():
    cart = {"cart": [{"edition": n, "quantity": 1} for n in range(20)]}
    ours = SignedValues(SECRET, salt="cookie-session")
    theirs = URLSafeTimedSerializer(SECRET, salt="cookie-session")
    payload = ours.dump_payload(cart)
    assert payload.startswith(b".")  # compressed: it was worth it
    assert payload == theirs.dump_payload(cart)
    assert theirs.loads(ours.dumps(cart)) == cart


@pytest.mark.parametrize("size", [COMPRESS_FROM - 20, COMPRESS_FROM + 20])
def test_values_signed_by_itsdangerous_still_read_and_tampering_is_refused(size):
    value = {"note": "x" * size}  # repetitive: itsdangerous compresses even the small one
    ours = SignedValues(SECRET, salt="s")
    old = URLSafeTimedSerializer(SECRET, salt="s").dumps(value)
    assert old.startswith(".")
    assert ours.loads(old) == value
    signed = ours.dumps(value)
    with pytest.raises(BadSignature):
        ours.loads(signed[:-2] + ("A" if signed[-2] != "A" else "B") + signed[-1])
