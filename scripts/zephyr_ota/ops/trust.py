"""The signing keys the bootloader trusts, and whether ours is one of them.

Entry points: ``TrustedKey``, ``load_trusted_keys``,
``find_key_in_image``, ``match_signing_key`` -> ``TrustMatch``, and
``refuse_published`` (``--release``).

Facts:
* ``SB_CONFIG_BOOT_SIGNATURE_KEY_FILE`` (split by ``keys.bootconfig``) (and MCUboot's
  ``CONFIG_BOOT_SIGNATURE_KEY_FILE``) may name several key files separated by
  commas; MCUboot embeds the public half of each and accepts an image signed
  by any of them. The first is the key the application is signed with; the
  others are verification-only public keys (Zephyr 4.5 release notes,
  "SB_CONFIG_BOOT_SIGNATURE_KEY_FILE now accepts a comma-separated list").
* MCUboot's Zephyr build turns each key into a C array with ``imgtool getpub``:
  the DER ``SubjectPublicKeyInfo`` for ECDSA and Ed25519, PKCS#1
  ``RSAPublicKey`` for RSA — exactly ``PublicKey.public_bytes()``. With a
  hardware key (``MCUBOOT_HW_KEY``) only the key's hash is compiled in. So
  when the key files are not on this machine, searching MCUboot's image for
  those bytes (or the hash) tells which key it trusts.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zephyr_ota.errors import KeyMismatchError, PolicyError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrustedKey:
    """One key MCUboot trusts: the public key and where the trust comes from."""

    public: Any                  # keys.PublicKey
    source: str                  # "build/mcuboot/zephyr/.config:120: CONFIG_BOOT_SIGNATURE_KEY_FILE[2] (k.pem)"
    position: int = 1            # 1-based position in the list

    def describe(self) -> str:
        return self.source


@dataclass(frozen=True)
class TrustMatch:
    """How the signing key was found trusted: a key entry or a place in MCUboot."""

    how: str

    def __str__(self) -> str:
        return self.how


def load_trusted_keys(entries: Sequence[tuple[Path, str]]) -> tuple[TrustedKey, ...]:
    """Public keys of existing ``(path, source)`` entries; missing files are skipped
    (logged at debug level): the caller falls back to searching MCUboot's image."""
    from zephyr_ota.keys import load_public_key

    keys = []
    for position, (path, source) in enumerate(entries, start=1):
        if not path.is_file():
            log.debug("trusted key %s (%s) is not on this machine", path, source)
            continue
        keys.append(TrustedKey(load_public_key(path), source, position))
    return tuple(keys)


def _needles(pub: Any) -> list[tuple[str, bytes]]:
    raw = pub.public_bytes()
    needles = [("public key", raw)]
    # ECDSA P-256 SPKI ends with the 65-byte uncompressed point; Ed25519 with 32 bytes:
    # some ports (e.g. MCUboot's tinycrypt/psa builds with a "minimal" key) embed only those.
    tail = {"ecdsa-p256": 65, "ecdsa-p384": 97, "ed25519": 32}.get(pub.key_type.value)
    if tail:
        needles.append(("raw public key", raw[-tail:]))
    needles.append(("SHA-256 key hash", hashlib.sha256(raw).digest()))
    return needles


def find_key_in_image(pub: Any, images: Sequence[tuple[str, bytes]]) -> str | None:
    """Where MCUboot's image holds ``pub``: ``"public key at offset 0x1234 of mcuboot.elf"``."""
    for name, data in images:
        for what, needle in _needles(pub):
            offset = data.find(needle)
            if offset >= 0:
                return f"{what} found at offset {offset:#x} of {name}"
    return None


def match_signing_key(pub: Any, trusted: Sequence[TrustedKey],
                      mcuboot_images: Sequence[tuple[str, bytes]]) -> TrustMatch:
    """Which trusted key ``pub`` is; ``KeyMismatchError`` when MCUboot would refuse it.

    Trusted key files decide when any is available; else MCUboot's own image
    is searched. With neither, the check cannot be made: that is an error too,
    never a silent pass.
    """
    fp = hashlib.sha256(pub.public_bytes()).hexdigest()[:16]
    for key in trusted:
        if key.public.public_bytes() == pub.public_bytes():
            return TrustMatch(f"trusted key {key.position}: {key.source}")
    if trusted:
        listed = "; ".join(k.source for k in trusted)
        raise KeyMismatchError(
            f"signing key {pub.key_type.value} (sha256 {fp}...): expected one of the keys "
            f"MCUboot trusts ({listed}), got a different key",
            hint="sign with the key the bootloader was built with, or rebuild MCUboot "
                 "trusting this key (SB_CONFIG_BOOT_SIGNATURE_KEY_FILE)")
    found = find_key_in_image(pub, mcuboot_images)
    if found:
        return TrustMatch(found)
    where = ", ".join(name for name, _ in mcuboot_images) or "no MCUboot image in the build"
    raise KeyMismatchError(
        f"signing key {pub.key_type.value} (sha256 {fp}...): expected it in MCUboot's "
        f"image ({where}), not found",
        hint="the bootloader would refuse this image; sign with the key MCUboot was built "
             "with, or give the keys it trusts with --trusted-key")


def refuse_published(pub: Any, what: str) -> None:
    """``--release``: refuse a key whose private half MCUboot publishes."""
    from zephyr_ota.keys.devkeys import find_published_hash

    known = find_published_hash(hashlib.sha256(pub.public_bytes()).digest())
    if known is not None:
        raise PolicyError(
            f"{what}: expected a private project key for a release, got MCUboot's published "
            f"development key ({known.source})",
            hint="anyone can sign images this bootloader accepts; generate a key with "
                 "`west ota-keys init` and rebuild MCUboot with it")
