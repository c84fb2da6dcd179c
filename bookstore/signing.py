"""Signed values (the session cookie, CSRF tokens) without zlib for small payloads.

itsdangerous' URL-safe serializers compress every payload with zlib and keep the compressed
form when it is shorter. Setting up zlib's state costs more than the JSON, the base64 and the
HMAC together (about 30 us a call on this shop's machines), and for the shop's most frequent
payloads compression never wins: a first visit's session holds one CSRF token (57 bytes of
JSON) and the token itself is a 40-character string, each signed once a first visit. Payloads
shorter than ``COMPRESS_FROM`` bytes are signed as they are; longer ones exactly as
itsdangerous signs them. Readers accept both forms (a compressed payload starts with "."), so
cookies and tokens signed either way keep working.

The signatures themselves are itsdangerous' own, made for less: the signing key derived from
a secret and salt (one HMAC) is derived once per signer instead of for every signature, a
signer is made once per salt instead of for every value, and the HMAC is computed in one call
to OpenSSL (``hmac.digest``) rather than through Python's ``hmac.HMAC`` with the digest
given as a Python function (as Flask and itsdangerous give it), when the two agree.
"""

import hashlib
import hmac
import zlib
from base64 import urlsafe_b64encode
from typing import Any

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes, want_bytes
from itsdangerous.serializer import Serializer
from itsdangerous.signer import HMACAlgorithm, Signer

# Below this many bytes of JSON, zlib's header and checksum outweigh what it could save.
COMPRESS_FROM = 128


class OneCallHMAC(HMACAlgorithm):
    """``HMACAlgorithm`` computing the MAC with ``hmac.digest`` when its digest method is one
    of hashlib's algorithms (Flask's ``_lazy_sha1`` is sha1 behind a Python function, which
    sends ``hmac.new`` down its slower, pure-Python way)."""

    def __init__(self, digest_method: Any = None):
        super().__init__(digest_method)
        self.digest_name = _hashlib_name(self.digest_method)

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        if self.digest_name is None:
            return super().get_signature(key, value)
        return hmac.digest(key, value, self.digest_name)


def _hashlib_name(digest_method: Any) -> str | None:
    """The hashlib name of what ``digest_method`` makes, if an HMAC by that name is the same."""
    try:
        name = digest_method().name
        probe = (b"key", b"value")
        if (
            name in hashlib.algorithms_available
            and hmac.digest(*probe, name) == hmac.new(*probe, digestmod=digest_method).digest()
        ):
            return str(name)
    except (AttributeError, TypeError, ValueError):
        pass
    return None


class KeptKeysSigner(TimestampSigner):
    """``TimestampSigner`` deriving each secret's signing key once: it depends only on the
    secret, the salt and the derivation, which a signer never changes; and signing in one
    step when its MAC is ``OneCallHMAC``'s (a new guest's visit signs two values)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if type(self.algorithm) is HMACAlgorithm:
            self.algorithm = OneCallHMAC(self.digest_method)
        self._derived: dict[str | bytes | None, bytes] = {}
        self._stamp: tuple[int, bytes] = (-1, b"")  # (second, its encoded form)

    def sign(self, value: str | bytes) -> bytes:
        """``TimestampSigner.sign``'s bytes, made without its layers of calls: the value, the
        time in seconds and the HMAC of both, each in URL-safe base64 without padding."""
        algorithm = self.algorithm
        if type(algorithm) is not OneCallHMAC or algorithm.digest_name is None:
            return super().sign(value)
        now = self.get_timestamp()
        if self._stamp[0] != now:
            self._stamp = (now, base64_encode(int_to_bytes(now)))
        sep = want_bytes(self.sep)
        signed = want_bytes(value) + sep + self._stamp[1]
        mac = hmac.digest(self.derive_key(), signed, algorithm.digest_name)
        return signed + sep + urlsafe_b64encode(mac).rstrip(b"=")

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self._derived.get(secret_key)
        if key is None:
            key = self._derived[secret_key] = super().derive_key(secret_key)
        return key


class SignedValues(URLSafeTimedSerializer):
    """``URLSafeTimedSerializer`` that leaves small payloads uncompressed, with signers made
    once (``KeptKeysSigner``)."""

    default_signer = KeptKeysSigner

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._signers: dict[str | bytes | None, Signer] = {}

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        """The signer for ``salt`` (this serializer's own by default), made on first use."""
        if salt is None:
            salt = self.salt
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer

    def dump_payload(self, obj: Any) -> bytes:
        json = Serializer.dump_payload(self, obj)  # the JSON, before the URL-safe mixin's zlib
        if len(json) >= COMPRESS_FROM:
            compressed = zlib.compress(json)
            if len(compressed) < len(json) - 1:  # itsdangerous' own test
                return b"." + base64_encode(compressed)
        return base64_encode(json)
