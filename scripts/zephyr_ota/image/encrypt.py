"""Image encryption: AES-CTR over the body and the key-transport TLVs.

Entry points: ``EncScheme`` and ``scheme_for`` (which scheme a public key
takes), ``check_pairing`` (signature/encryption pairs MCUboot can build),
``wrap_key`` (fresh AES key -> TLV), ``unwrap_key`` (TLV + private key ->
AES key), ``AesCtrStream`` (chunked encryption at a body offset).

MCUboot facts (docs/encrypted_images.md, boot/bootutil/src/encrypted.c):
- the body (from ``hdr_size`` to ``hdr_size + img_size``) is AES-CTR with a
  zero nonce, the counter being the byte offset in the body / 16; header and
  TLVs stay plaintext; the image hash covers the plaintext;
- RSA-OAEP (SHA-256, MGF1-SHA-256) wraps the key in TLV ENC_RSA2048 (2048-bit
  keys only: the TLV is 256 bytes, BOOT_ENC_TLV_SIZE);
- ECIES-P256 / ECIES-X25519: an ephemeral key, ECDH, HKDF(SHA-256 or
  SHA-512, no salt, info "MCUBoot_ECIES_v1") giving the AES key-encryption
  key then the HMAC key; the TLV is ephemeral public key || HMAC || AES-CTR
  encrypted key (P-256 key uncompressed, 65 bytes; X25519 raw, 32 bytes).
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from typing import Any

from zephyr_ota.errors import KeyMismatchError, UnsupportedError, UsageError, VerificationError
from zephyr_ota.image.constants import TlvType
from zephyr_ota.image.tlv import Tlv
from zephyr_ota.keys.base import KeyType

# encrypted.c: the HKDF "info" string of MCUboot's ECIES.
ECIES_INFO = b"MCUBoot_ECIES_v1"
AES_BLOCK = 16

SUPPORTED_PAIRS = (
    "supported pairs (MCUboot boot/zephyr/Kconfig BOOT_ENCRYPT_IMAGE): "
    "rsa-2048/rsa-3072 signing with an RSA-2048 encryption key (RSA-OAEP), "
    "ecdsa-p256 with an EC P-256 key (ECIES-P256), "
    "ed25519 with an X25519 key (ECIES-X25519)")


class EncScheme(str, enum.Enum):
    """Key-transport schemes MCUboot implements; the value names the TLV."""

    RSA_OAEP = "ENCRSA2048"
    ECIES_P256 = "ENCEC256"
    ECIES_X25519 = "ENCX25519"
    ECIES_X25519_SHA512 = "ENCX25519_SHA512"

    @property
    def tlv_type(self) -> TlvType:
        return {EncScheme.RSA_OAEP: TlvType.ENC_RSA2048,
                EncScheme.ECIES_P256: TlvType.ENC_EC256,
                EncScheme.ECIES_X25519: TlvType.ENC_X25519,
                EncScheme.ECIES_X25519_SHA512: TlvType.ENC_X25519_SHA512}[self]

    @property
    def key_type(self) -> KeyType:
        return {EncScheme.RSA_OAEP: KeyType.RSA2048,
                EncScheme.ECIES_P256: KeyType.ECDSA_P256}.get(self, KeyType.X25519)

    @classmethod
    def from_tlv(cls, kind: int) -> EncScheme | None:
        for scheme in cls:
            if scheme.tlv_type == kind:
                return scheme
        return None


def _key_kind(key: Any) -> str:
    """'rsa-NNNN', 'ec-<curve>', 'x25519', 'ed25519' or the class name."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return f"rsa-{key.key_size}"
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        return f"ec-{key.curve.name}"
    if isinstance(key, (x25519.X25519PublicKey, x25519.X25519PrivateKey)):
        return "x25519"
    if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return "ed25519"
    return type(key).__name__


_KIND_NAMES = {"ec-secp256r1": "EC P-256", "ec-secp384r1": "ECDSA P-384",
               "ec-secp521r1": "EC P-521", "x25519": "X25519", "ed25519": "Ed25519"}


def describe_key(key: Any) -> str:
    kind = _key_kind(key)
    return _KIND_NAMES.get(kind, kind.upper() if kind.startswith("rsa") else kind)


def scheme_for(key: Any, hmac_sha: str = "auto", where: str = "-E") -> EncScheme:
    """The scheme for an encryption key (public or private cryptography key).

    An encryption key MCUboot has no scheme for is refused: imgtool 2.5.0
    would write an image flagged encrypted without any key TLV (issue 7).
    """
    kind = _key_kind(key)
    if kind == "rsa-2048":
        scheme = EncScheme.RSA_OAEP
    elif kind == "ec-secp256r1":
        scheme = EncScheme.ECIES_P256
    elif kind == "x25519":
        scheme = EncScheme.ECIES_X25519_SHA512 if hmac_sha == "512" else EncScheme.ECIES_X25519
    else:
        raise UnsupportedError(
            f"{where}: MCUboot has no encryption scheme for {describe_key(key)} keys",
            hint=SUPPORTED_PAIRS)
    if hmac_sha == "512" and scheme is not EncScheme.ECIES_X25519_SHA512:
        # imgtool image.py: "Currently only ECIES-X25519 supports HMAC-SHA512".
        raise UsageError("--hmac-sha 512: only ECIES-X25519 supports HMAC-SHA512")
    return scheme


# boot/zephyr/Kconfig: BOOT_ENCRYPT_IMAGE selects the scheme from the
# signature type; pure Ed25519 does not select BOOT_ENCRYPTION_SUPPORT and
# there is no encryption for ECDSA P-384.
_PAIRS = {
    KeyType.RSA2048: (EncScheme.RSA_OAEP,),
    KeyType.RSA3072: (EncScheme.RSA_OAEP,),
    KeyType.ECDSA_P256: (EncScheme.ECIES_P256,),
    KeyType.ED25519: (EncScheme.ECIES_X25519, EncScheme.ECIES_X25519_SHA512),
    KeyType.ECDSA_P384: (),
}


def check_pairing(sig_type: KeyType | None, scheme: EncScheme, pure: bool) -> None:
    """Refuse signature/encryption pairs no MCUboot configuration can take."""
    if sig_type is None:
        return
    allowed = () if pure else _PAIRS.get(sig_type, ())
    if scheme not in allowed:
        sig = f"{sig_type.value}{' --pure' if pure else ''}"
        raise KeyMismatchError(
            f"-E: MCUboot cannot pair {sig} signatures with {scheme.value} encryption",
            hint=SUPPORTED_PAIRS)


def _ecies_kdf(shared: bytes, key_len: int, hmac_sha: str) -> tuple[bytes, bytes, Any]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    alg = hashes.SHA512() if hmac_sha == "512" else hashes.SHA256()
    okm = HKDF(algorithm=alg, length=key_len + alg.digest_size, salt=None,
               info=ECIES_INFO).derive(shared)
    return okm[:key_len], okm[key_len:], alg


def _ctr(key: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    enc = Cipher(algorithms.AES(key), modes.CTR(bytes(AES_BLOCK))).encryptor()
    return enc.update(data) + enc.finalize()


def _hmac(key: bytes, alg: Any, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hmac

    mac = hmac.HMAC(key, alg)
    mac.update(data)
    return mac.finalize()


def wrap_key(pub: Any, scheme: EncScheme, aes_key: bytes) -> Tlv:
    """Encrypt ``aes_key`` for the device holding the private half of ``pub``."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, x25519

    if scheme is EncScheme.RSA_OAEP:
        oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                            label=None)
        return Tlv(scheme.tlv_type, pub.encrypt(aes_key, oaep))
    hmac_sha = "512" if scheme is EncScheme.ECIES_X25519_SHA512 else "256"
    if scheme is EncScheme.ECIES_P256:
        eph = ec.generate_private_key(ec.SECP256R1())
        shared = eph.exchange(ec.ECDH(), pub)
        eph_pub = eph.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    else:
        eph_x = x25519.X25519PrivateKey.generate()
        shared = eph_x.exchange(pub)
        eph_pub = eph_x.public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)
    kek, mac_key, alg = _ecies_kdf(shared, len(aes_key), hmac_sha)
    cipherkey = _ctr(kek, aes_key)
    return Tlv(scheme.tlv_type, eph_pub + _hmac(mac_key, alg, cipherkey) + cipherkey)


@dataclass(frozen=True)
class _EciesParts:
    eph_pub: bytes
    mac: bytes
    cipherkey: bytes


def _split_ecies(scheme: EncScheme, value: bytes, key_len: int) -> _EciesParts:
    pub_len = 65 if scheme is EncScheme.ECIES_P256 else 32
    mac_len = 64 if scheme is EncScheme.ECIES_X25519_SHA512 else 32
    if len(value) != pub_len + mac_len + key_len:
        raise VerificationError(
            f"{scheme.value} TLV: expected {pub_len + mac_len + key_len} bytes for "
            f"AES-{key_len * 8}, got {len(value)}")
    return _EciesParts(value[:pub_len], value[pub_len:pub_len + mac_len],
                       value[pub_len + mac_len:])


def unwrap_key(priv: Any, tlv: Tlv, key_len: int, where: str = "image") -> bytes:
    """Recover the AES key from the key TLV with the device's private key."""
    from cryptography.hazmat.primitives import constant_time, hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, x25519

    scheme = EncScheme.from_tlv(tlv.kind)
    if scheme is None:
        raise UnsupportedError(f"{where}: TLV {tlv.name}: key transport not supported")
    if scheme_for(priv, "512" if scheme is EncScheme.ECIES_X25519_SHA512 else "256",
                  where="--decrypt-key") is not scheme:
        raise KeyMismatchError(f"{where}: the image's key is wrapped with {scheme.value}, "
                               f"the decryption key is {describe_key(priv)}")
    if scheme is EncScheme.RSA_OAEP:
        oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                            label=None)
        try:
            key = priv.decrypt(tlv.value, oaep)
        except ValueError as e:
            raise VerificationError(f"{where}: {scheme.value}: the decryption key "
                                    "cannot unwrap the AES key") from e
    else:
        parts = _split_ecies(scheme, tlv.value, key_len)
        if scheme is EncScheme.ECIES_P256:
            try:
                peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), parts.eph_pub)
            except ValueError as e:
                raise VerificationError(f"{where}: {scheme.value}: bad ephemeral key") from e
            shared = priv.exchange(ec.ECDH(), peer)
        else:
            shared = priv.exchange(x25519.X25519PublicKey.from_public_bytes(parts.eph_pub))
        hmac_sha = "512" if scheme is EncScheme.ECIES_X25519_SHA512 else "256"
        kek, mac_key, alg = _ecies_kdf(shared, key_len, hmac_sha)
        if not constant_time.bytes_eq(_hmac(mac_key, alg, parts.cipherkey), parts.mac):
            raise VerificationError(f"{where}: {scheme.value}: HMAC mismatch: the decryption "
                                    "key does not fit this image")
        key = _ctr(kek, parts.cipherkey)
    if len(key) != key_len:
        raise VerificationError(f"{where}: {scheme.value}: expected an AES-{key_len * 8} key, "
                                f"got {len(key)} bytes")
    return key


def new_aes_key(bits: int) -> bytes:
    """A fresh random AES key: every image written gets its own (issue 7)."""
    if bits not in (128, 256):
        raise UsageError(f"--encrypt-keylen: expected 128 or 256, got {bits}")
    return os.urandom(bits // 8)


class AesCtrStream:
    """AES-CTR over the body, fed in order in chunks of any size."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        self._ctx = Cipher(algorithms.AES(key), modes.CTR(bytes(AES_BLOCK))).encryptor()

    def update(self, chunk: bytes | memoryview) -> bytes:
        return self._ctx.update(chunk)
