"""Small signed values skip zlib; large ones are signed as itsdangerous signs them, and every
form reads back, through the shop's serializer and through itsdangerous' own. The signatures
are itsdangerous' own, byte for byte, however they are computed."""

import hashlib
import time
import zlib

import pytest
from flask.sessions import _lazy_sha1
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from bookstore.signing import COMPRESS_FROM, KeptKeysSigner, OneCallHMAC, SignedValues

SECRET = "a-secret-key-for-the-tests"
OLD_SECRET = "the-key-before-this-one"


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


@pytest.mark.parametrize("derivation", ["hmac", "django-concat"])
@pytest.mark.parametrize("digest", [hashlib.sha1, hashlib.sha256, _lazy_sha1])
def test_signatures_are_itsdangerous_own(monkeypatch, derivation, digest):
    monkeypatch.setattr(time, "time", lambda: 1_765_000_000.5)
    options = {"salt": "cookie-session", "key_derivation": derivation, "digest_method": digest}
    ours = KeptKeysSigner([OLD_SECRET, SECRET], **options)
    theirs = TimestampSigner([OLD_SECRET, SECRET], **options)
    for value in (b"", b"a payload", "x" * 300):
        assert ours.sign(value) == theirs.sign(value)
        assert ours.sign(value) == theirs.sign(value)  # with the key kept from the first time
    assert ours.unsign(TimestampSigner(OLD_SECRET, **options).sign(b"old")) == b"old"
    monkeypatch.setattr(time, "time", lambda: 1_765_000_301.0)  # a later second
    assert ours.sign(b"a payload") == theirs.sign(b"a payload")
    assert isinstance(ours.algorithm, OneCallHMAC)
    assert ours.algorithm.digest_name is not None


def test_a_digest_hmac_cannot_take_by_name_is_used_as_given():
    class Unnamed:
        def __init__(self, data=b""):
            self.inner = hashlib.sha1(data)  # noqa: S324  (as itsdangerous signs)
            self.digest_size, self.block_size = self.inner.digest_size, self.inner.block_size

        def update(self, data):
            self.inner.update(data)

        def digest(self):
            return self.inner.digest()

        def copy(self):
            other = Unnamed()
            other.inner = self.inner.copy()
            return other

    ours = KeptKeysSigner(SECRET, digest_method=Unnamed)
    assert ours.algorithm.digest_name is None
    assert ours.unsign(TimestampSigner(SECRET, digest_method=hashlib.sha1).sign(b"v")) == b"v"


def test_the_session_cookie_is_signed_as_flask_signs_it(monkeypatch):
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    from bookstore.accounts.sessions import SchemeAwareSessionInterface

    monkeypatch.setattr(time, "time", lambda: 1_765_000_000.5)
    app = Flask(__name__)
    app.secret_key = SECRET
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_SECRET]
    session = {"csrf_token": "0123456789abcdef0123456789abcdef01234567", "_fresh": False}
    with app.test_request_context("/"):
        ours = SchemeAwareSessionInterface().get_signing_serializer(app)
        theirs = SecureCookieSessionInterface().get_signing_serializer(app)
        payload = ours.dump_payload(session)
        for _ in range(2):  # the second time with the signer and key kept
            assert ours.make_signer().sign(payload) == theirs.make_signer().sign(payload)
            assert theirs.loads(ours.dumps(session)) == session
