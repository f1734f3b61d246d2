"""RSA-2048 and RSA-3072 keys, signing with RSA-PSS as MCUboot verifies it.

MCUboot facts (boot/bootutil/src/image_rsa.c; imgtool keys/rsa.py):
- the key is embedded in the bootloader, and hashed for the KEYHASH TLV, as
  PKCS#1 ``RSAPublicKey`` DER (not SubjectPublicKeyInfo);
- the signature is RSASSA-PSS with MGF1-SHA-256 over the SHA-256 image
  digest, and bootutil accepts only a salt as long as the hash (32 bytes).

Entry points: ``RsaPublicKey``, ``RsaPrivateKey``, ``generate``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from zephyr_ota.errors import UnsupportedError
from zephyr_ota.keys._common import PrivateKeyBase, PublicKeyBase, check_digest
from zephyr_ota.keys.base import HashAlg, KeyType

SIZES = {2048: KeyType.RSA2048, 3072: KeyType.RSA3072}
PSS_SALT_LEN = 32  # image_rsa.c: salt length must equal the SHA-256 length
PUBLIC_EXPONENT = 65537


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LEN)


def _key_type(key_size: int) -> KeyType:
    if key_size not in SIZES:
        raise UnsupportedError(f"RSA-{key_size} key: MCUboot accepts RSA-2048 or RSA-3072")
    return SIZES[key_size]


@dataclass(frozen=True, eq=False, repr=False)
class RsaPublicKey(PublicKeyBase):
    """An RSA public key as MCUboot sees it."""

    crypto_key: rsa.RSAPublicKey

    def __post_init__(self) -> None:
        _key_type(self.crypto_key.key_size)

    @property
    def key_type(self) -> KeyType:
        return SIZES[self.crypto_key.key_size]

    def public_bytes(self) -> bytes:
        return self.crypto_key.public_bytes(
            encoding=serialization.Encoding.DER, format=serialization.PublicFormat.PKCS1)

    def verify_digest(self, signature: bytes, digest: bytes, hash_alg: HashAlg) -> bool:
        if hash_alg is not HashAlg.SHA256:
            return False
        try:
            self.crypto_key.verify(signature, digest, _pss(), Prehashed(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True

    def verify_payload(self, signature: bytes, payload: bytes) -> bool:
        try:
            self.crypto_key.verify(signature, payload, _pss(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True, eq=False, repr=False)
class RsaPrivateKey(PrivateKeyBase):
    """An RSA private key that signs image digests."""

    crypto_key: rsa.RSAPrivateKey

    def __post_init__(self) -> None:
        _key_type(self.crypto_key.key_size)

    @property
    def key_type(self) -> KeyType:
        return SIZES[self.crypto_key.key_size]

    @property
    def public(self) -> RsaPublicKey:
        return RsaPublicKey(self.crypto_key.public_key())

    def sign_digest(self, digest: bytes, hash_alg: HashAlg) -> bytes:
        check_digest(self.key_type, digest, hash_alg)
        return self.crypto_key.sign(digest, _pss(), Prehashed(hashes.SHA256()))

    def sign_payload(self, payload: bytes) -> bytes:
        """PSS over SHA-256 of ``payload`` (what ``--vector-to-sign payload`` signers produce)."""
        return self.crypto_key.sign(payload, _pss(), hashes.SHA256())

    def private_der(self, minimal: bool = False) -> bytes:
        """PKCS#1 ``RSAPrivateKey`` DER, as ``imgtool getpriv`` dumps it.

        ``minimal`` keeps only version, n, e, d, p and q (drops the CRT
        values dp, dq, qinv), as MCUboot's minimal RSA decryption key expects.
        """
        if not minimal:
            return self.crypto_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption())
        from zephyr_ota.keys import der

        nums = self.crypto_key.private_numbers()
        pub = nums.public_numbers
        return der.sequence(der.integer(0), der.integer(pub.n), der.integer(pub.e),
                            der.integer(nums.d), der.integer(nums.p), der.integer(nums.q))


def generate(key_type: KeyType) -> RsaPrivateKey:
    """A new RSA key of ``key_type`` (RSA2048 or RSA3072), exponent 65537."""
    size = {v: k for k, v in SIZES.items()}[key_type]
    return RsaPrivateKey(rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=size))
