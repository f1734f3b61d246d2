"""Detached signatures over the manifest's raw bytes, with a key threshold.

Entry points: ``sign(data, keys) -> tuple[Signature, ...]``,
``signature_file_bytes(signatures)``, ``parse_signature_file(raw, source)``,
``verify_signatures(SignatureRequest) -> SignatureCheck``, ``keyid(key)``,
``same_key_warning(manifest_key, image_key_hash)``.

The signature file is the canonical JSON (RFC 8785) of a list of
``{"keyid", "alg", "sig"}`` objects:

- ``keyid``: lower-case hex SHA-256 of the signer's DER SubjectPublicKeyInfo,
  so a verifier can pick the key without trying all of them, and keys can
  rotate: a new key signs beside the old one until devices trust it.
- ``alg``: ``ed25519`` (RFC 8032, over the bytes themselves) or
  ``ecdsa-p256-sha256`` (ECDSA on P-256 over SHA-256 of the bytes; the
  signature is DER-encoded ``Ecdsa-Sig-Value``, RFC 3279; we sign
  deterministically, RFC 6979).
- ``sig``: **lower-case hex** of the signature bytes. Hex, not base64: it is
  what TUF metadata uses, it diffs readably, and it has a single spelling
  (base64 has padding and alphabet variants).

Verification works on the file's raw bytes before anything is parsed from it
(python-tuf does the same): a re-serialization could hide an edit.

Keys may be ``cryptography`` key objects or ``zephyr_ota.keys`` wrappers
(anything with a ``crypto_key`` attribute).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zephyr_ota.errors import InputError, KeyFileError, UsageError
from zephyr_ota.manifest.canonical import canonical_bytes

log = logging.getLogger(__name__)

ED25519 = "ed25519"
ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
ALGS = (ED25519, ECDSA_P256_SHA256)


@dataclass(frozen=True)
class Signature:
    keyid: str
    alg: str
    sig: str

    def __post_init__(self) -> None:
        if not _is_hex(self.keyid, 64):
            raise InputError(f"keyid: expected 64 lower-case hex digits, got {self.keyid!r}")
        if self.alg not in ALGS:
            raise InputError(f"alg: expected one of {', '.join(ALGS)}, got {self.alg!r}")
        if not _is_hex(self.sig):
            raise InputError(f"sig: expected lower-case hex, got {self.sig!r}")


def _is_hex(value: object, length: int | None = None) -> bool:
    if not isinstance(value, str) or not value or len(value) % 2:
        return False
    return (length is None or len(value) == length) and all(c in "0123456789abcdef" for c in value)


def _unwrap(key: Any) -> Any:
    return getattr(key, "crypto_key", key)


def _public_of(key: Any) -> Any:
    key = _unwrap(key)
    return key.public_key() if hasattr(key, "public_key") else key


def spki_der(key: Any) -> bytes:
    """DER SubjectPublicKeyInfo of a public or private key."""
    from cryptography.hazmat.primitives import serialization

    return bytes(_public_of(key).public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))


def keyid(key: Any) -> str:
    """Hex SHA-256 of the key's DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki_der(key)).hexdigest()


def key_alg(key: Any) -> str:
    """The signature algorithm for ``key``; other key types raise KeyFileError."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    public = _public_of(key)
    if isinstance(public, ed25519.Ed25519PublicKey):
        return ED25519
    if isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1":
        return ECDSA_P256_SHA256
    kind = type(public).__name__
    if isinstance(public, ec.EllipticCurvePublicKey):
        kind = f"ECDSA {public.curve.name}"
    elif hasattr(public, "key_size"):
        kind = f"RSA-{public.key_size}"
    raise KeyFileError(f"manifest key: expected an Ed25519 or ECDSA P-256 key, got {kind}",
                       hint="give --manifest-key an Ed25519 or ECDSA P-256 private key")


def sign(data: bytes, keys: Sequence[Any]) -> tuple[Signature, ...]:
    """Sign ``data`` (the manifest's canonical bytes) with each private key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    out = []
    for key in keys:
        alg = key_alg(key)
        private = _unwrap(key)
        if not hasattr(private, "sign") or not hasattr(private, "public_key"):
            raise KeyFileError("manifest key: expected a private key, got a public key")
        if alg == ED25519:
            raw = private.sign(data)
        else:
            raw = private.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        out.append(Signature(keyid(private), alg, bytes(raw).hex()))
    return tuple(out)


def signature_file_bytes(signatures: Sequence[Signature]) -> bytes:
    """The detached signature file: canonical JSON of the list."""
    return canonical_bytes([{"keyid": s.keyid, "alg": s.alg, "sig": s.sig} for s in signatures])


def parse_signature_file(raw: bytes, source: str) -> tuple[Signature, ...]:
    """Parse a signature file; errors name ``source`` and the entry."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{source}: not a JSON signature list: {e}") from e
    if not isinstance(value, list) or not value:
        raise InputError(f"{source}: expected a non-empty JSON list of signatures, got {raw[:40]!r}")
    out = []
    for n, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"keyid", "alg", "sig"}:
            raise InputError(f"{source}: [{n}]: expected an object with keys keyid, alg, sig, got {item!r}")
        try:
            out.append(Signature(item["keyid"], item["alg"], item["sig"]))
        except InputError as e:
            raise InputError(f"{source}: [{n}].{e.message}") from e
    return tuple(out)


@dataclass(frozen=True)
class SignatureRequest:
    """What ``verify_signatures`` checks: ``data`` are the manifest file's
    raw bytes, ``signature_file`` the raw bytes of its detached signature."""

    data: bytes
    signature_file: bytes
    trusted_keys: tuple[Any, ...]
    threshold: int = 1
    source: str = "ota-manifest.json"
    signature_source: str = "ota-manifest.json.sig"


@dataclass(frozen=True)
class SignatureCheck:
    """Outcome: true when at least ``threshold`` distinct trusted keys signed."""

    valid_keyids: tuple[str, ...]
    threshold: int
    problems: tuple[str, ...]

    def __bool__(self) -> bool:
        return len(self.valid_keyids) >= self.threshold

    @property
    def messages(self) -> tuple[str, ...]:
        return self.problems


def verify_signatures(req: SignatureRequest) -> SignatureCheck:
    """Check the detached signatures over the raw bytes."""
    if not req.trusted_keys:
        raise UsageError("no trusted manifest key given", hint="pass the manifest's public key")
    if not 1 <= req.threshold <= len(req.trusted_keys):
        raise UsageError(f"signature threshold: expected 1..{len(req.trusted_keys)} "
                         f"(the number of trusted keys), got {req.threshold}")
    trusted = {keyid(k): _public_of(k) for k in req.trusted_keys}
    valid: list[str] = []
    problems: list[str] = []
    for n, s in enumerate(parse_signature_file(req.signature_file, req.signature_source)):
        public = trusted.get(s.keyid)
        if public is None:
            problems.append(f"{req.signature_source}: signature {n} is by an unknown key "
                            f"{s.keyid[:16]}: not a trusted manifest key")
        elif s.alg != key_alg(public):
            problems.append(f"{req.signature_source}: signature {n}: alg {s.alg} does not fit key "
                            f"{s.keyid[:16]} ({key_alg(public)})")
        elif not _verify_one(public, s, req.data):
            problems.append(f"{req.source}: signature by key {s.keyid[:16]} does not match the "
                            "file's bytes (edited after signing?)")
        elif s.keyid not in valid:
            valid.append(s.keyid)
    if len(valid) < req.threshold:
        problems.append(f"{req.source}: {len(valid)} valid signature(s) by trusted keys, "
                        f"{req.threshold} required")
    return SignatureCheck(tuple(valid), req.threshold, tuple(problems))


def _verify_one(public: Any, s: Signature, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    raw = bytes.fromhex(s.sig)
    try:
        if s.alg == ED25519:
            public.verify(raw, data)
        else:
            public.verify(raw, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def same_key_warning(manifest_key: Any, image_key_hash: bytes | str | None) -> str | None:
    """A warning when the manifest key is the MCUboot image-signing key.

    ``image_key_hash`` is the image's KEYHASH (raw or hex), the image hash
    algorithm's digest of the SubjectPublicKeyInfo for ECDSA and Ed25519 keys.
    The manifest key is meant to be a separate key (issue 9): a leaked
    release-signing key should not also sign firmware the bootloader accepts.
    """
    if image_key_hash is None:
        return None
    wanted = bytes.fromhex(image_key_hash) if isinstance(image_key_hash, str) else image_key_hash
    der = spki_der(manifest_key)
    if all(hashlib.new(alg, der).digest() != wanted for alg in ("sha256", "sha384", "sha512")):
        return None
    message = (f"the manifest is signed with the MCUboot image-signing key (keyid {keyid(manifest_key)[:16]}); "
               "a separate manifest key (--manifest-key) limits what one leaked key can do")
    log.warning("%s", message)
    return message
