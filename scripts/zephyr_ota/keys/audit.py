"""The findings of ``keys check``: pure functions over plain facts.

Entry points: ``KeyFacts`` (what is known about one key file, no secrets),
``key_facts(path, password=None)`` (reads one), ``signer_facts(uri)``, ``AuditInput`` ->
``audit(request) -> AuditReport`` (every check below), and the single
checks ``check_published``, ``check_permissions``, ``check_signing_type``,
``check_encryption_type``, ``check_trusted_list``, ``check_key_match``.

A finding has a stable ``code`` (below). ``release_error`` findings are
warnings in development and errors in release mode (``--release`` or
``release: true``), where nothing may be written.
"""

from __future__ import annotations

import enum
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zephyr_ota.errors import InputError
from zephyr_ota.keys.base import KeyType
from zephyr_ota.keys.bootconfig import BootKeyConfig, encryption_type_for
from zephyr_ota.keys.devkeys import find_published_all

PUBLISHED_KEY = "published-key"
WORLD_READABLE = "world-readable-key"
SIGNING_TYPE = "signing-type-mismatch"
ENCRYPTION_TYPE = "encryption-type-mismatch"
ENCRYPTION_OFF = "encryption-not-enabled"
KEY_NOT_TRUSTED = "key-not-trusted"
KEY_TRUSTED = "key-trusted"
PRIVATE_IN_LIST = "private-key-in-trusted-list"
HASH_ONLY = "signature-type-none"


class Severity(enum.IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    hint: str | None = None
    release_error: bool = False  # a warning that release mode makes an error

    def severity_in(self, release: bool) -> Severity:
        return Severity.ERROR if release and self.release_error else self.severity


@dataclass(frozen=True)
class AuditReport:
    findings: tuple[Finding, ...]
    release: bool = False

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity_in(self.release) is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity_in(self.release) is Severity.WARNING)

    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    def __bool__(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class KeyFacts:
    """One key file as the audit sees it: type, public identity, privacy, mode."""

    path: str
    key_type: KeyType
    has_private: bool
    spki: bytes            # DER SubjectPublicKeyInfo (identity for published keys)
    boot_bytes: bytes      # the bytes MCUboot embeds (identity for key matching)
    mode: int | None = None

    @property
    def key_hash(self) -> bytes:
        """SHA-256 of ``boot_bytes`` (``imgtool getpubhash``)."""
        return hashlib.sha256(self.boot_bytes).digest()


def key_facts(path: str | os.PathLike[str], password: bytes | None = None) -> KeyFacts:
    """Read the facts of one key file (a private key needs its password if encrypted)."""
    from zephyr_ota.fileio import read_input
    from zephyr_ota.keys import load_public_key
    from zephyr_ota.keys.devkeys import spki_from_pem

    data = read_input(path, "key file")
    pub = load_public_key(path, password)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    return KeyFacts(path=str(path), key_type=pub.key_type, has_private=holds_private_key(data),
                    spki=spki_from_pem(pub.public_pem()), boot_bytes=pub.public_bytes(), mode=mode)


def signer_facts(spec: str) -> KeyFacts:
    """Facts of a key that is not a file (``pkcs11:`` URI, ``cmd:`` signer
    with its public key): no private material here, no file mode."""
    from zephyr_ota.keys.devkeys import spki_from_pem
    from zephyr_ota.keys.external import load_signer

    pub = load_signer(spec).public
    return KeyFacts(path=spec.split("?", 1)[0], key_type=pub.key_type, has_private=False,
                    spki=spki_from_pem(pub.public_pem()), boot_bytes=pub.public_bytes())


def holds_private_key(data: bytes) -> bool:
    """True when key file contents hold private material (PEM label, or DER
    that does not parse as a public key)."""
    if data.lstrip().startswith(b"-----"):
        return b"PRIVATE KEY-----" in data
    from cryptography.hazmat.primitives import serialization

    try:
        serialization.load_der_public_key(data)
    except (ValueError, TypeError):
        return True
    return False


def check_published(key: KeyFacts, role: str) -> Finding | None:
    """MCUboot's published keys: anyone can sign (or decrypt) with them."""
    known = find_published_all(key.spki)
    if not known:
        return None
    files = ", ".join(k.file_name for k in known)
    return Finding(
        PUBLISHED_KEY, Severity.WARNING,
        f"{key.path}: {role} key is MCUboot's published {known[0].role} key ({files} in "
        f"mcu-tools/mcuboot); anyone holds its private half",
        hint="create your own keys with 'zephyr-ota keys init'", release_error=True)


def check_permissions(key: KeyFacts) -> Finding | None:
    """A private key readable by other users (Unix mode o+r, or g+r)."""
    if not key.has_private or key.mode is None or not key.mode & 0o044:
        return None
    who = "everyone" if key.mode & 0o004 else "its group"
    return Finding(WORLD_READABLE, Severity.WARNING,
                   f"{key.path}: private key is readable by {who} (mode {key.mode:04o}); "
                   f"expected 0600", hint=f"chmod 600 {key.path}", release_error=True)


def check_signing_type(key: KeyFacts, boot: BootKeyConfig) -> Finding | None:
    """The signing key must be of the type MCUboot verifies."""
    expected = boot.signing_type
    if expected is None:
        return Finding(HASH_ONLY, Severity.WARNING,
                       f"{boot.source}: MCUboot checks hashes only "
                       f"(BOOT_SIGNATURE_TYPE_NONE): any image boots", release_error=True)
    if key.key_type is expected:
        return None
    return Finding(SIGNING_TYPE, Severity.ERROR,
                   f"{key.path}: signing key is {key.key_type.value}, but MCUboot verifies "
                   f"{expected.value} ({boot.source})")


def check_encryption_type(key: KeyFacts, boot: BootKeyConfig) -> Finding | None:
    """MCUboot's encryption scheme follows its signature type
    (boot/zephyr/Kconfig: BOOT_ENCRYPT_IMAGE selects BOOT_ENCRYPT_RSA/EC256/X25519)."""
    if not boot.encrypt:
        return Finding(ENCRYPTION_OFF, Severity.WARNING,
                       f"{key.path}: an encryption key is set, but MCUboot was built without "
                       f"encryption (BOOT_ENCRYPT_IMAGE not set); it cannot boot encrypted images")
    expected = encryption_type_for(boot.signature)
    if key.key_type is expected:
        return None
    pairs = "RSA -> rsa-2048, ECDSA_P256 -> ecdsa-p256, ED25519 -> x25519"
    return Finding(ENCRYPTION_TYPE, Severity.ERROR,
                   f"{key.path}: encryption key is {key.key_type.value}, but MCUboot with "
                   f"BOOT_SIGNATURE_TYPE_{boot.signature} decrypts "
                   f"{expected.value if expected else 'nothing'}",
                   hint=f"MCUboot pairs signature and encryption types: {pairs}")


def check_trusted_list(trusted: Sequence[KeyFacts]) -> list[Finding]:
    """Entries after the first must be public-only (zephyr PR #111203) and of
    the first entry's type."""
    findings: list[Finding] = []
    for index, key in enumerate(trusted[1:], 1):
        if key.has_private:
            findings.append(Finding(
                PRIVATE_IN_LIST, Severity.ERROR,
                f"{key.path}: trusted key #{index} holds a private key; entries after the "
                f"first must be public-only", hint="use its public half "
                "('zephyr-ota keys show' prints it, or 'imgtool getpub -e pem')"))
        if key.key_type is not trusted[0].key_type:
            findings.append(Finding(
                SIGNING_TYPE, Severity.ERROR,
                f"{key.path}: trusted key #{index} is {key.key_type.value}, expected "
                f"{trusted[0].key_type.value} like the first entry"))
    return findings


def check_key_match(signing: KeyFacts, trusted: Sequence[KeyFacts]) -> Finding:
    """The signing key must be one the bootloader trusts; name which."""
    for index, key in enumerate(trusted):
        if key.boot_bytes == signing.boot_bytes:
            return Finding(KEY_TRUSTED, Severity.INFO,
                           f"{signing.path}: signing key is MCUboot's trusted key #{index} "
                           f"({key.path})")
    names = ", ".join(k.path for k in trusted) or "none"
    return Finding(KEY_NOT_TRUSTED, Severity.ERROR,
                   f"{signing.path}: signing key (hash {signing.key_hash.hex()[:16]}...) is not "
                   f"a key MCUboot trusts; trusted: {names}",
                   hint="the device would refuse the image; sign with the bootloader's key")


@dataclass(frozen=True)
class AuditInput:
    """Everything ``audit`` looks at; ``None``/empty = not known, not checked."""

    signing: KeyFacts | None = None
    encryption: KeyFacts | None = None
    boot: BootKeyConfig | None = None
    trusted: tuple[KeyFacts, ...] = ()   # MCUboot's key list, in order
    release: bool = False


def audit(request: AuditInput) -> AuditReport:
    """Every finding for the given facts."""
    found: list[Finding | None] = []
    if request.signing:
        found += [check_published(request.signing, "signing"),
                  check_permissions(request.signing)]
    if request.encryption:
        found += [check_published(request.encryption, "encryption"),
                  check_permissions(request.encryption)]
    seen = {request.signing.path if request.signing else None}
    for key in request.trusted:
        if key.path not in seen:
            found += [check_published(key, "trusted"), check_permissions(key)]
    if request.boot:
        if request.signing:
            found.append(check_signing_type(request.signing, request.boot))
        if request.encryption:
            found.append(check_encryption_type(request.encryption, request.boot))
    found += check_trusted_list(request.trusted)
    if request.signing and request.trusted:
        found.append(check_key_match(request.signing, request.trusted))
    return AuditReport(tuple(f for f in found if f is not None), release=request.release)


@dataclass(frozen=True)
class CheckRequest:
    """What ``keys check`` audits: a build directory and/or a key set.
    Explicit keys win over the build's; ``boot`` describes MCUboot when no
    build directory says (from ota.yml or options)."""

    build_dir: Path | None = None
    signing: Path | str | None = None   # a file, or a pkcs11: URI
    encryption: Path | None = None
    trusted: tuple[Path, ...] = ()
    boot: BootKeyConfig | None = None
    release: bool = False
    password: bytes | None = None


def check_keys(request: CheckRequest) -> AuditReport:
    """Read the facts the request names and ``audit`` them."""
    from zephyr_ota.keys.bootconfig import read_build_keys

    build = read_build_keys(request.build_dir) if request.build_dir else None
    signing = request.signing or (build.app_signing if build else None)
    encryption = request.encryption or (build.encryption if build else None)
    trusted = build.trusted if build and build.boot else request.trusted
    boot = build.boot if build and build.boot else request.boot
    if signing is None and not trusted and encryption is None:
        raise InputError("keys check: no key to check",
                         hint="give -d BUILD_DIR, --keys-dir, --key or an ota.yml with keys")

    def facts(path: Path | str) -> KeyFacts:
        if isinstance(path, str) and path.startswith("pkcs11:"):
            return signer_facts(path)
        return key_facts(path, request.password)

    cache = {p: facts(p) for p in {*trusted, *(x for x in (signing, encryption) if x)}}
    return audit(AuditInput(
        signing=cache[signing] if signing else None,
        encryption=cache[encryption] if encryption else None,
        boot=boot, trusted=tuple(cache[p] for p in trusted), release=request.release))
