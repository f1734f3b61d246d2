"""Ed25519 keys, in MCUboot's hash mode and pure mode.

MCUboot facts (boot/bootutil/src/image_ed25519.c; imgtool keys/ed25519.py):
- the key is embedded, and hashed for KEYHASH, as SubjectPublicKeyInfo DER
  (44 bytes);
- hash mode: the message Ed25519 signs is the image digest itself (32 bytes
  of SHA-256 or 64 of SHA-512), not the image;
- pure mode (``--pure``, TLV SIG_PURE): the message is the whole signed
  payload (header, body, protected TLVs).

Ed25519 signatures are deterministic, so images are reproducible.
Entry points: ``Ed25519PublicKey``, ``Ed25519PrivateKey``, ``generate``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from zephyr_ota.keys._common import PrivateKeyBase, PublicKeyBase, check_digest
from zephyr_ota.keys.base import HashAlg, KeyType

# SEQUENCE { AlgorithmIdentifier id-Ed25519 (1.3.101.112), BIT STRING (33 bytes) }
_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


@dataclass(frozen=True, eq=False, repr=False)
class Ed25519PublicKey(PublicKeyBase):
    """An Ed25519 public key as MCUboot sees it."""

    crypto_key: ed25519.Ed25519PublicKey

    @property
    def key_type(self) -> KeyType:
        return KeyType.ED25519

    def public_bytes(self) -> bytes:
        # RFC 8410 section 4: the SubjectPublicKeyInfo is a fixed prefix and the
        # raw key (built here so signing needs no cryptography ``serialization``).
        return _SPKI_PREFIX + self.crypto_key.public_bytes_raw()

    def verify_digest(self, signature: bytes, digest: bytes, hash_alg: HashAlg) -> bool:
        if len(digest) != hash_alg.digest_size:
            return False
        return self.verify_payload(signature, digest)

    def verify_payload(self, signature: bytes, payload: bytes) -> bool:
        try:
            self.crypto_key.verify(signature, payload)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, eq=False, repr=False)
class Ed25519PrivateKey(PrivateKeyBase):
    """An Ed25519 private key."""

    crypto_key: ed25519.Ed25519PrivateKey

    @property
    def key_type(self) -> KeyType:
        return KeyType.ED25519

    @property
    def public(self) -> Ed25519PublicKey:
        return Ed25519PublicKey(self.crypto_key.public_key())

    def sign_digest(self, digest: bytes, hash_alg: HashAlg) -> bytes:
        check_digest(self.key_type, digest, hash_alg)
        return self.crypto_key.sign(digest)

    def sign_payload(self, payload: bytes) -> bytes:
        return self.crypto_key.sign(payload)


def generate(key_type: KeyType = KeyType.ED25519) -> Ed25519PrivateKey:
    """A new Ed25519 key."""
    return Ed25519PrivateKey(ed25519.Ed25519PrivateKey.generate())
