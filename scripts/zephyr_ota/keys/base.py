"""The key surface every key family implements, and the signer seam.

Entry points: ``KeyType`` (what a key is), ``PublicKey`` (what a verifier
needs), ``Signer`` (what the image engine signs with). Families live in their
own modules (``rsa``, ``ecdsa``, ``ed25519``, ``x25519``); hardware tokens
(``pkcs11``) and external signer commands (``external``) implement ``Signer``
too, so the image engine never knows where a private key lives.

MCUboot facts (boot/bootutil/src/image_validate.c, imgtool keys/):
- RSA keys are embedded and hashed as PKCS#1 ``RSAPublicKey`` DER; ECDSA and
  Ed25519 keys as ``SubjectPublicKeyInfo`` DER. ``public_bytes`` returns
  exactly those bytes; the KEYHASH TLV is their digest.
- RSA signs with PSS (MGF1, salt length 32 for SHA-256) over the image digest;
  ECDSA signs the image digest (DER signature); Ed25519 signs the 32/64-byte
  image digest as its message, or the whole signed payload in "pure" mode.
"""

from __future__ import annotations

import enum
from typing import Protocol, runtime_checkable


class KeyType(str, enum.Enum):
    """Key families MCUboot can use; the value is the name users type."""

    RSA2048 = "rsa-2048"
    RSA3072 = "rsa-3072"
    ECDSA_P256 = "ecdsa-p256"
    ECDSA_P384 = "ecdsa-p384"
    ED25519 = "ed25519"
    X25519 = "x25519"  # encryption only

    @property
    def can_sign(self) -> bool:
        return self is not KeyType.X25519

    @property
    def hash_algs(self) -> tuple[HashAlg, ...]:
        """Image hashes a signature of this type may cover, the default first.

        From imgtool 2.5.0 ``ALLOWED_KEY_SHA`` (what it signs with a private
        key) and MCUboot bootutil: RSA-PSS and ECDSA P-256 use SHA-256, P-384
        uses SHA-384; Ed25519 signs the SHA-256 or SHA-512 digest as its
        message (pure mode: see ``pure_hash_alg``).
        """
        return _HASH_ALGS[self]

    @property
    def pure_hash_alg(self) -> HashAlg | None:
        """The image hash used in pure mode (Ed25519 only), else None."""
        return HashAlg.SHA512 if self is KeyType.ED25519 else None

    @classmethod
    def parse(cls, name: str) -> KeyType:
        """A key type from a user's spelling (``ecdsa-p256``, ``ED25519``...);
        ``ValueError`` for an unknown name."""
        return cls(_TYPE_ALIASES.get(name.strip().lower(), name.strip().lower()))


class HashAlg(str, enum.Enum):
    """Image hash algorithms (TLV 0x10/0x11/0x12)."""

    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"

    @property
    def digest_size(self) -> int:
        return {"sha256": 32, "sha384": 48, "sha512": 64}[self.value]


_HASH_ALGS = {
    KeyType.RSA2048: (HashAlg.SHA256,),
    KeyType.RSA3072: (HashAlg.SHA256,),
    KeyType.ECDSA_P256: (HashAlg.SHA256,),
    KeyType.ECDSA_P384: (HashAlg.SHA384,),
    KeyType.ED25519: (HashAlg.SHA256, HashAlg.SHA512),
    KeyType.X25519: (HashAlg.SHA256, HashAlg.SHA512),
}

# Other spellings users bring from imgtool, MCUboot Kconfig and OpenSSL.
_TYPE_ALIASES = {
    "rsa2048": "rsa-2048", "rsa3072": "rsa-3072", "rsa": "rsa-2048",
    "ecdsa256": "ecdsa-p256", "ecdsa-256": "ecdsa-p256", "p256": "ecdsa-p256",
    "ecdsa384": "ecdsa-p384", "ecdsa-384": "ecdsa-p384", "p384": "ecdsa-p384",
    "ecdsa_p256": "ecdsa-p256", "ecdsa_p384": "ecdsa-p384",
    "rsa_2048": "rsa-2048", "rsa_3072": "rsa-3072",
}


@runtime_checkable
class PublicKey(Protocol):
    """A public key as MCUboot sees it."""

    @property
    def key_type(self) -> KeyType: ...

    def public_bytes(self) -> bytes:
        """The DER bytes MCUboot embeds in its key table and hashes for KEYHASH."""
        ...

    def public_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM, for humans and other tools."""
        ...

    def verify_digest(self, signature: bytes, digest: bytes, hash_alg: HashAlg) -> bool:
        """True when ``signature`` signs the image ``digest`` as MCUboot checks it."""
        ...

    def verify_payload(self, signature: bytes, payload: bytes) -> bool:
        """True when ``signature`` signs ``payload`` itself (Ed25519 pure mode)."""
        ...


@runtime_checkable
class Signer(Protocol):
    """Anything that can sign an image: a key file, a PKCS#11 token, a command.

    ``sign_digest`` is the normal path (the engine hashes the image in one
    streamed pass). ``sign_payload`` is needed only for Ed25519 pure mode and
    for ``--vector-to-sign payload``; a signer that cannot do it raises
    ``UnsupportedError``.
    """

    @property
    def public(self) -> PublicKey: ...

    def sign_digest(self, digest: bytes, hash_alg: HashAlg) -> bytes: ...

    def sign_payload(self, payload: bytes) -> bytes: ...
