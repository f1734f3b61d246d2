"""What the key families share: PEM export, public-key identity, hash checks.

Imported only by the family modules (``rsa``, ``ecdsa``, ``ed25519``,
``x25519``), which are themselves imported lazily by ``zephyr_ota.keys``, so
the cryptography import below never slows ``--help``.

Entry points: ``PublicKeyBase`` (mixin: ``public_pem``, equality by
``public_bytes``), ``PrivateKeyBase`` (mixin: ``private_pem``,
``private_der``), ``crypto_hash``, ``check_digest``.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import hashes

from zephyr_ota.errors import UnsupportedError
from zephyr_ota.keys.base import HashAlg, KeyType

_HASHES: dict[HashAlg, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    HashAlg.SHA256: hashes.SHA256, HashAlg.SHA384: hashes.SHA384, HashAlg.SHA512: hashes.SHA512}


def crypto_hash(hash_alg: HashAlg) -> hashes.HashAlgorithm:
    """The cryptography hash object for ``hash_alg``."""
    return _HASHES[hash_alg]()


def check_digest(key_type: KeyType, digest: bytes, hash_alg: HashAlg) -> None:
    """Refuse a hash the key type cannot sign with, or a digest of the wrong size."""
    if hash_alg not in key_type.hash_algs:
        allowed = ", ".join(h.value for h in key_type.hash_algs)
        raise UnsupportedError(
            f"{key_type.value} key: cannot sign a {hash_alg.value} image digest; "
            f"expected one of {allowed}")
    if len(digest) != hash_alg.digest_size:
        raise ValueError(f"{hash_alg.value} digest must be {hash_alg.digest_size} bytes, "
                         f"got {len(digest)}")


class PublicKeyBase:
    """Mixin for the public-key dataclasses (which define ``crypto_key`` and
    ``public_bytes``): PEM export and equality by MCUboot's view of the key."""

    crypto_key: Any
    key_type: Any

    def public_bytes(self) -> bytes:  # pragma: no cover - overridden
        raise NotImplementedError

    def public_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM (what ``imgtool getpub -e pem`` prints)."""
        from cryptography.hazmat.primitives import serialization  # not on the signing path

        return bytes(self.crypto_key.public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PublicKeyBase):
            return NotImplemented
        return type(self) is type(other) and self.public_bytes() == other.public_bytes()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.public_bytes()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key_type.value})"


class PrivateKeyBase:
    """Mixin for the private-key dataclasses: serialization of the private
    half. ``__repr__`` never shows key material."""

    crypto_key: Any
    key_type: Any

    def private_pem(self, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM, encrypted with ``password`` when given (as imgtool keygen writes)."""
        from cryptography.hazmat.primitives import serialization

        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password
            else serialization.NoEncryption())
        return bytes(self.crypto_key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=encryption))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key_type.value}, private)"
