"""ECDSA P-256 and P-384 keys.

MCUboot facts (boot/bootutil/src/image_ecdsa.c; imgtool keys/ecdsa.py):
- the key is embedded, and hashed for KEYHASH, as SubjectPublicKeyInfo DER;
- the signature is DER ``Ecdsa-Sig-Value`` over the image digest: SHA-256
  for P-256, SHA-384 for P-384. Its length varies (70-72 / 102-104 bytes);
  MCUboot >= 1.5 needs no padding.

Signatures are random (RFC 6979 off) unless ``deterministic=True`` and the
installed cryptography offers ``ECDSA(..., deterministic_signing=True)``,
which reproducible tests and golden files use.

Entry points: ``EcdsaPublicKey``, ``EcdsaPrivateKey``, ``generate``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from zephyr_ota.errors import UnsupportedError
from zephyr_ota.keys._common import PrivateKeyBase, PublicKeyBase, check_digest, crypto_hash
from zephyr_ota.keys.base import HashAlg, KeyType

CURVES = {"secp256r1": KeyType.ECDSA_P256, "secp384r1": KeyType.ECDSA_P384}
_CURVE_OF = {KeyType.ECDSA_P256: ec.SECP256R1, KeyType.ECDSA_P384: ec.SECP384R1}
# DER-encoded OBJECT IDENTIFIERs for the minimal private-key forms.
_OID_EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")
_OID_CURVE = {KeyType.ECDSA_P256: bytes.fromhex("06082a8648ce3d030107"),
              KeyType.ECDSA_P384: bytes.fromhex("06052b81040022")}


def _key_type(curve: ec.EllipticCurve) -> KeyType:
    if curve.name not in CURVES:
        raise UnsupportedError(f"ECDSA key on curve {curve.name}: MCUboot accepts P-256 or P-384")
    return CURVES[curve.name]


def _algorithm(key_type: KeyType, prehashed: bool, deterministic: bool = False) -> ec.ECDSA:
    hash_alg = crypto_hash(key_type.hash_algs[0])
    algorithm = Prehashed(hash_alg) if prehashed else hash_alg
    if deterministic:
        return ec.ECDSA(algorithm, deterministic_signing=True)
    return ec.ECDSA(algorithm)


@dataclass(frozen=True, eq=False, repr=False)
class EcdsaPublicKey(PublicKeyBase):
    """An ECDSA public key as MCUboot sees it."""

    crypto_key: ec.EllipticCurvePublicKey

    def __post_init__(self) -> None:
        _key_type(self.crypto_key.curve)

    @property
    def key_type(self) -> KeyType:
        return CURVES[self.crypto_key.curve.name]

    def public_bytes(self) -> bytes:
        return self.crypto_key.public_bytes(
            encoding=serialization.Encoding.DER,
            format=serialization.PublicFormat.SubjectPublicKeyInfo)

    def verify_digest(self, signature: bytes, digest: bytes, hash_alg: HashAlg) -> bool:
        if hash_alg not in self.key_type.hash_algs or len(digest) != hash_alg.digest_size:
            return False
        return self._verify(signature, digest, _algorithm(self.key_type, prehashed=True))

    def verify_payload(self, signature: bytes, payload: bytes) -> bool:
        return self._verify(signature, payload, _algorithm(self.key_type, prehashed=False))

    def _verify(self, signature: bytes, data: bytes, algorithm: ec.ECDSA) -> bool:
        try:
            self.crypto_key.verify(signature, data, algorithm)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True, eq=False, repr=False)
class EcdsaPrivateKey(PrivateKeyBase):
    """An ECDSA private key; ``deterministic`` selects RFC 6979 signatures."""

    crypto_key: ec.EllipticCurvePrivateKey
    deterministic: bool = False

    def __post_init__(self) -> None:
        _key_type(self.crypto_key.curve)

    @property
    def key_type(self) -> KeyType:
        return CURVES[self.crypto_key.curve.name]

    @property
    def public(self) -> EcdsaPublicKey:
        return EcdsaPublicKey(self.crypto_key.public_key())

    def sign_digest(self, digest: bytes, hash_alg: HashAlg) -> bytes:
        check_digest(self.key_type, digest, hash_alg)
        algorithm = _algorithm(self.key_type, prehashed=True, deterministic=self.deterministic)
        return self.crypto_key.sign(digest, algorithm)

    def sign_payload(self, payload: bytes) -> bytes:
        """ECDSA over the curve's hash of ``payload``."""
        algorithm = _algorithm(self.key_type, prehashed=False, deterministic=self.deterministic)
        return self.crypto_key.sign(payload, algorithm)

    def private_der(self, minimal: bool = False, fmt: str = "pkcs8") -> bytes:
        """The private key as ``imgtool getpriv`` dumps it: PKCS#8 (``fmt="pkcs8"``,
        imgtool's default) or SEC1 (``fmt="openssl"``) DER. ``minimal`` drops
        the optional public key from the SEC1 structure, as MCUboot's minimal
        encryption-key build expects."""
        if fmt not in ("pkcs8", "openssl"):
            raise UnsupportedError(f"ECDSA private key format {fmt!r}: expected pkcs8 or openssl")
        if not minimal:
            private_format = (serialization.PrivateFormat.PKCS8 if fmt == "pkcs8"
                              else serialization.PrivateFormat.TraditionalOpenSSL)
            return self.crypto_key.private_bytes(
                serialization.Encoding.DER, private_format, serialization.NoEncryption())
        return self._minimal_der(fmt)

    def _minimal_der(self, fmt: str) -> bytes:
        from zephyr_ota.keys import der

        size = (self.crypto_key.curve.key_size + 7) // 8
        scalar = self.crypto_key.private_numbers().private_value.to_bytes(size, "big")
        curve_oid = _OID_CURVE[self.key_type]
        if fmt == "openssl":  # SEC1 ECPrivateKey with its [0] parameters, no [1] public key
            return der.sequence(der.integer(1), der.octet_string(scalar), der.tagged(0, curve_oid))
        inner = der.sequence(der.integer(1), der.octet_string(scalar))
        algorithm = der.sequence(_OID_EC_PUBLIC_KEY, curve_oid)
        return der.sequence(der.integer(0), algorithm, der.octet_string(inner))


def generate(key_type: KeyType) -> EcdsaPrivateKey:
    """A new ECDSA key on the curve of ``key_type`` (ECDSA_P256 or ECDSA_P384)."""
    return EcdsaPrivateKey(ec.generate_private_key(_CURVE_OF[key_type]()))
