"""X25519 keys: encryption only (ECIES-X25519 of the image's AES key).

MCUboot facts (boot/bootutil/src/encrypted.c; imgtool keys/x25519.py): the
public half is given to the signer as SubjectPublicKeyInfo PEM; the device
holds the private half as PKCS#8 DER (what ``getpriv`` dumps, C array
``enc_priv_key``). X25519 cannot sign: ``sign_*`` raise ``UnsupportedError``.

Entry points: ``X25519PublicKey``, ``X25519PrivateKey``, ``generate``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519

from zephyr_ota.errors import UnsupportedError
from zephyr_ota.keys._common import PrivateKeyBase, PublicKeyBase
from zephyr_ota.keys.base import HashAlg, KeyType

_CANNOT_SIGN = "x25519 key: an encryption key cannot sign images; expected a signing key (rsa, ecdsa, ed25519)"


@dataclass(frozen=True, eq=False, repr=False)
class X25519PublicKey(PublicKeyBase):
    """An X25519 public (encryption) key."""

    crypto_key: x25519.X25519PublicKey

    @property
    def key_type(self) -> KeyType:
        return KeyType.X25519

    def public_bytes(self) -> bytes:
        return self.crypto_key.public_bytes(
            encoding=serialization.Encoding.DER,
            format=serialization.PublicFormat.SubjectPublicKeyInfo)

    def verify_digest(self, signature: bytes, digest: bytes, hash_alg: HashAlg) -> bool:
        return False

    def verify_payload(self, signature: bytes, payload: bytes) -> bool:
        return False


@dataclass(frozen=True, eq=False, repr=False)
class X25519PrivateKey(PrivateKeyBase):
    """An X25519 private (decryption) key."""

    crypto_key: x25519.X25519PrivateKey

    @property
    def key_type(self) -> KeyType:
        return KeyType.X25519

    @property
    def public(self) -> X25519PublicKey:
        return X25519PublicKey(self.crypto_key.public_key())

    def sign_digest(self, digest: bytes, hash_alg: HashAlg) -> bytes:
        raise UnsupportedError(_CANNOT_SIGN)

    def sign_payload(self, payload: bytes) -> bytes:
        raise UnsupportedError(_CANNOT_SIGN)

    def private_der(self, minimal: bool = False) -> bytes:
        """PKCS#8 DER, what ``imgtool getpriv`` dumps for the device."""
        return self.crypto_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())


def generate(key_type: KeyType = KeyType.X25519) -> X25519PrivateKey:
    """A new X25519 key."""
    return X25519PrivateKey(x25519.X25519PrivateKey.generate())
