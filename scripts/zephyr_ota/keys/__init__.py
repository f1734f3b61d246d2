"""Keys: the families MCUboot uses behind one surface (see ``base``).

Entry points (re-exported from ``loader``; importing this package does not
import cryptography): ``load_private_key(path, password=None)``,
``load_public_key(path)``, ``generate_key(key_type)``,
``key_hash(pub, hash_alg=SHA256)``, ``public_key_from_bytes(der)`` (the
bytes an image's PUBKEY TLV or a bootloader's key table holds); the types ``KeyType``, ``HashAlg``,
``PublicKey``, ``Signer``. Family modules: ``rsa``, ``ecdsa``, ``ed25519``,
``x25519``; C/Rust/PEM renderings of keys for ``getpub``: ``emit``.
"""

from zephyr_ota.keys.base import HashAlg, KeyType, PublicKey, Signer
from zephyr_ota.keys.loader import (
    PASSWORD_ENV,
    generate_key,
    key_hash,
    load_private_key,
    load_public_key,
    public_key_from_bytes,
)

__all__ = [
    "PASSWORD_ENV",
    "HashAlg",
    "KeyType",
    "PublicKey",
    "Signer",
    "generate_key",
    "key_hash",
    "load_private_key",
    "load_public_key",
    "public_key_from_bytes",
]
