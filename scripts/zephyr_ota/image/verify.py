"""Checking an image as MCUboot does: structure, hash, key, signature, decryption.

Entry points: ``verify_image(image, key=None, decrypt_key=None)`` and
``verify_file(path, key=None, decrypt_key=None)`` -> ``VerifyResult``
(truthy when every check passed; ``failed`` names the first that did not).

Order (image_validate.c ``bootutil_img_validate``): the hash TLV against the
hash of header, body and protected TLVs; the key (KEYHASH TLV = hash of the
embedded key, or the PUBKEY TLV itself); the signature over the digest, or
over the hashed region itself with SIG_PURE. An encrypted body is hashed in
plaintext: given the device's private key, the AES key is unwrapped from
the key TLV and the body decrypted on the fly (encrypted.c); an image with
the encrypted flag but a plaintext body (``--clear``) hashes as it is.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from zephyr_ota.errors import OtaError
from zephyr_ota.image.constants import (
    ALLOWED_UNPROTECTED,
    ENCRYPTION_TLVS,
    HASH_TLVS,
    ImageFlag,
    TlvType,
)
from zephyr_ota.image.encrypt import AesCtrStream, unwrap_key
from zephyr_ota.image.parse import ParsedImage, load_image_bytes, parse_image
from zephyr_ota.image.version import ImageVersion
from zephyr_ota.keys.base import HashAlg, KeyType, PublicKey

CHUNK = 1 << 20
_HASH_OF_TLV = {TlvType.SHA256: HashAlg.SHA256, TlvType.SHA384: HashAlg.SHA384,
                TlvType.SHA512: HashAlg.SHA512}
_SIG_TLV = {KeyType.RSA2048: TlvType.RSA2048_PSS, KeyType.RSA3072: TlvType.RSA3072_PSS,
            KeyType.ECDSA_P256: TlvType.ECDSA_SIG, KeyType.ECDSA_P384: TlvType.ECDSA_SIG,
            KeyType.ED25519: TlvType.ED25519}


@dataclass(frozen=True)
class VerifyResult:
    """The outcome; ``failed`` is None or one of "structure", "hash", "key",
    "signature", "decryption"."""

    ok: bool
    message: str
    failed: str | None = None
    version: ImageVersion | None = None
    hash_alg: HashAlg | None = None
    digest: bytes | None = None
    signed: bool = False          # a signature was checked
    decrypted: bool = False       # the body was decrypted to check the hash
    plaintext_body: bool = False  # encrypted flag with a plaintext body (--clear)

    def __bool__(self) -> bool:
        return self.ok


class _Failure(Exception):
    """A failed check: ``what`` names it (hash, key, signature, ...)."""

    def __init__(self, what: str, message: str) -> None:
        super().__init__(message)
        self.what = what
        self.message = message


def _fail(img: ParsedImage | None, what: str, message: str, **kw: Any) -> VerifyResult:
    where = img.where if img is not None else "image"
    version = img.header.version if img is not None else None
    return VerifyResult(False, f"{where}: {what}: {message}", what, version=version, **kw)


def _check_unprotected(img: ParsedImage) -> None:
    for tlv in img.tlvs:
        if tlv.kind not in ALLOWED_UNPROTECTED:
            raise _Failure("structure", f"TLV area: {tlv.name} is not allowed outside the "
                                        "protected area (image_validate.c allowed_unprot_tlvs)")


def _hash_tlv(img: ParsedImage) -> tuple[HashAlg, bytes] | str:
    found = [t for t in img.tlvs if t.kind in HASH_TLVS]
    if len(found) != 1:
        return f"expected one SHA256/SHA384/SHA512 TLV, found {len(found)}"
    alg = _HASH_OF_TLV[TlvType(found[0].kind)]
    if len(found[0].value) != alg.digest_size:
        return f"{found[0].name} TLV holds {len(found[0].value)} bytes, expected {alg.digest_size}"
    return alg, found[0].value


def _digest(img: ParsedImage, alg: HashAlg, aes_key: bytes | None) -> bytes:
    """Hash header, body (decrypted with ``aes_key``) and protected TLVs."""
    h = hashlib.new(alg.value)
    view = memoryview(img.data)
    start, end = img.header.hdr_size, img.header.tlv_offset
    h.update(view[:start])
    if aes_key is None:
        h.update(view[start:end])
    else:
        ctr = AesCtrStream(aes_key)
        for pos in range(start, end, CHUNK):
            h.update(ctr.update(view[pos:min(pos + CHUNK, end)]))
    h.update(view[end:img.protected_end])
    return h.digest()


def _aes_key(img: ParsedImage, decrypt_key: Any) -> bytes:
    key_tlvs = [t for t in img.tlvs if t.kind in ENCRYPTION_TLVS]
    if len(key_tlvs) != 1:
        raise _Failure("decryption", f"expected one key TLV, found {len(key_tlvs)}")
    key_len = 32 if img.header.flags & ImageFlag.ENCRYPTED_AES256 else 16
    try:
        return unwrap_key(decrypt_key, key_tlvs[0], key_len, where=img.where)
    except OtaError as e:
        raise _Failure("decryption", str(e).removeprefix(f"{img.where}: ")) from e


def _check_hash(img: ParsedImage, alg: HashAlg, stored: bytes,
                decrypt_key: Any) -> tuple[bool, bool]:
    """Returns (decrypted, plaintext_body); raises _Failure."""
    if not img.encrypted:
        if _digest(img, alg, None) != stored:
            raise _Failure("hash", f"the {alg.value} over header, body and protected TLVs "
                                   "does not match the hash TLV")
        return False, False
    plain_ok = _digest(img, alg, None) == stored
    if decrypt_key is None:
        if plain_ok:
            return False, True
        raise _Failure("hash", "the body is encrypted; give the device's private key "
                               "(--decrypt-key) to check the hash over the plaintext")
    aes_key = _aes_key(img, decrypt_key)
    if plain_ok:
        return False, True
    if _digest(img, alg, aes_key) != stored:
        raise _Failure("hash", f"the {alg.value} over the decrypted body does not match "
                               "the hash TLV")
    return True, False


def _check_key(img: ParsedImage, key: PublicKey, alg: HashAlg) -> None:
    pub = key.public_bytes()
    keyhash = img.find(TlvType.KEYHASH)
    full = img.find(TlvType.PUBKEY)
    if keyhash is not None:
        if keyhash.value != hashlib.new(alg.value, pub).digest():
            raise _Failure("key", f"the KEYHASH TLV is not the {alg.value} of this "
                                  f"{key.key_type.value} key: signed with another key")
    elif full is not None:
        if full.value != pub:
            raise _Failure("key", f"the PUBKEY TLV is not this {key.key_type.value} key: "
                                  "signed with another key")
    else:
        raise _Failure("key", "no KEYHASH or PUBKEY TLV: the image is not signed")
    if alg not in key.key_type.hash_algs and alg != key.key_type.pure_hash_alg:
        raise _Failure("key", f"a {key.key_type.value} key does not sign {alg.value} images")


def _check_signature(img: ParsedImage, key: PublicKey, alg: HashAlg, digest: bytes) -> None:
    kind = _SIG_TLV[key.key_type]
    found = img.find(kind)
    if found is None:
        raise _Failure("signature", f"no {kind.name} TLV for a {key.key_type.value} key")
    sig = found.value
    if kind is TlvType.ECDSA_SIG and len(sig) > 2:
        sig = sig[:sig[1] + 2]  # imgtool --pad-sig appends zeros after the DER
    if img.find(TlvType.SIG_PURE) is not None:
        region = bytes(memoryview(img.data)[:img.protected_end])
        ok = key.verify_payload(sig, region)
    else:
        ok = key.verify_digest(sig, digest, alg)
    if not ok:
        raise _Failure("signature", f"the {kind.name} signature does not verify with the "
                                    f"{key.key_type.value} key")


def _check_encrypted_aware(img: ParsedImage, key: PublicKey | None, alg: HashAlg,
                           stored: bytes, decrypt_key: Any) -> tuple[bool, bool]:
    """``_check_hash``; for an encrypted body without the device key the hash
    cannot be checked, but the key and the signature over the stored digest
    can: a bad one is reported as such, a good one is said in the message."""
    try:
        return _check_hash(img, alg, stored, decrypt_key)
    except _Failure as f:
        if f.what != "hash" or not img.encrypted or decrypt_key is not None or key is None:
            raise
        _check_key(img, key, alg)
        _check_signature(img, key, alg, stored)
        raise _Failure("hash", f"{f.message} (the signature over the stored digest is "
                               "valid)") from None


def verify_image(image: ParsedImage | bytes, key: PublicKey | None = None,
                 decrypt_key: Any = None, where: str = "image") -> VerifyResult:
    """Check ``image``; never raises for a bad image (the result says what failed).

    ``key`` is the signer's public key (None: hash only); ``decrypt_key`` a
    cryptography private key (RSA-2048, EC P-256, X25519) for encrypted bodies.
    """
    img: ParsedImage | None = None
    try:
        img = image if isinstance(image, ParsedImage) else parse_image(bytes(image), where)
        _check_unprotected(img)
        found = _hash_tlv(img)
        if isinstance(found, str):
            raise _Failure("hash", found)
        alg, stored = found
        decrypted, plain = _check_encrypted_aware(img, key, alg, stored, decrypt_key)
        if key is not None:
            _check_key(img, key, alg)
            _check_signature(img, key, alg, stored)
    except _Failure as f:
        return _fail(img, f.what, f.message)
    except OtaError as e:
        return VerifyResult(False, str(e), "structure",
                            version=img.header.version if img else None)
    return VerifyResult(True, _ok_message(img, key, alg, decrypted, plain), None,
                        version=img.header.version, hash_alg=alg, digest=stored,
                        signed=key is not None, decrypted=decrypted, plaintext_body=plain)


def _ok_message(img: ParsedImage, key: PublicKey | None, alg: HashAlg,
                decrypted: bool, plain: bool) -> str:
    parts = [f"{img.where}: OK: version {img.header.version}", f"{alg.value} hash matches"]
    parts.append(f"signed by this {key.key_type.value} key" if key is not None
                 else "signature not checked (no key given)")
    if decrypted:
        parts.append("encrypted body decrypted and checked")
    elif plain:
        parts.append("encrypted flag with a plaintext body (--clear)")
    return ", ".join(parts)


def verify_file(path: str | os.PathLike[str], key: PublicKey | None = None,
                decrypt_key: Any = None) -> VerifyResult:
    """``verify_image`` on a ``.bin``/``.hex`` file; a missing file raises ``InputError``."""
    data, base = load_image_bytes(path)
    try:
        img = parse_image(data, str(path), base)
    except OtaError as e:
        return VerifyResult(False, str(e), "structure")
    return verify_image(img, key, decrypt_key)


def decrypt_body(img: ParsedImage, decrypt_key: Any) -> bytes:
    """The plaintext body of an encrypted image (``--clear`` bodies as they are).

    Raises ``VerificationError`` when the key TLV cannot be unwrapped.
    """
    from zephyr_ota.errors import VerificationError

    if not img.encrypted:
        return bytes(img.body)
    try:
        aes_key = _aes_key(img, decrypt_key)
    except _Failure as f:
        raise VerificationError(f"{img.where}: {f.what}: {f.message}") from None
    found = _hash_tlv(img)
    if not isinstance(found, str) and _digest(img, found[0], None) == found[1]:
        return bytes(img.body)  # --clear: the body is plaintext
    ctr = AesCtrStream(aes_key)
    out = bytearray()
    body = img.body
    for pos in range(0, len(body), CHUNK):
        out += ctr.update(body[pos:pos + CHUNK])
    return bytes(out)
