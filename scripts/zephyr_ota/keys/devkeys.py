"""MCUboot's published keys: recognise them by their public half.

Every MCUboot checkout carries the private halves of its development and test
keys (``root-*.pem``, ``enc-*.pem`` at the repository root, and a few under
``boot/cypress``, ``samples``, ``testplan``), and sysbuild falls back to
``root-*.pem`` when a project sets no key (share/sysbuild/images/bootloader/
Kconfig: ``BOOT_SIGNATURE_KEY_FILE`` defaults to
``$(ZEPHYR_MCUBOOT_MODULE_DIR)/root-ec-p256.pem`` ...). A bootloader trusting
one of them accepts anyone's firmware.

``mcuboot_dev_keys.json`` (package data) holds their public halves and
hashes only. Entry points: ``published_keys()``, ``find_published(spki_der)``
(by the DER SubjectPublicKeyInfo of any key), ``find_published_all``,
``find_published_hash(digest)``
(by a KEYHASH TLV value or SPKI hash), ``spki_der(crypto_public_key)``, ``spki_from_pem(pem)``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

DB_NAME = "mcuboot_dev_keys.json"


@dataclass(frozen=True)
class PublishedKey:
    """One key whose private half MCUboot publishes."""

    source: str            # "mcu-tools/mcuboot: root-ec-p256.pem"
    role: str              # "signing" | "encryption"
    key_type: str          # "ecdsa-p256", "rsa-2048", ... ("ecdsa-p224" too)
    spki_sha256: bytes     # SHA-256 of the DER SubjectPublicKeyInfo
    keyhash: bytes | None  # the KEYHASH TLV value (None: a type MCUboot's Zephyr port lacks)
    public_pem: str

    def __post_init__(self) -> None:
        if self.role not in ("signing", "encryption"):
            raise ValueError(f"{self.source}: role: expected signing or encryption, "
                             f"got {self.role!r}")
        for name in ("spki_sha256", "keyhash"):
            value = getattr(self, name)
            if value is not None and len(value) != 32:
                raise ValueError(f"{self.source}: {name}: expected 32 bytes, got {len(value)}")

    @property
    def file_name(self) -> str:
        """The file name in the MCUboot tree (``root-ec-p256.pem``)."""
        return self.source.rsplit("/", 1)[-1].split(": ")[-1]


@functools.lru_cache(maxsize=1)
def published_keys() -> tuple[PublishedKey, ...]:
    """All published keys, from the package's JSON database."""
    text = resources.files("zephyr_ota.keys").joinpath(DB_NAME).read_text()
    return tuple(_entry(e) for e in json.loads(text)["keys"])


def _entry(e: dict[str, Any]) -> PublishedKey:
    return PublishedKey(source=e["source"], role=e["role"], key_type=e["type"],
                        spki_sha256=bytes.fromhex(e["sha256_spki_der"]),
                        keyhash=(bytes.fromhex(e["mcuboot_keyhash_tlv"])
                                 if e.get("mcuboot_keyhash_tlv") else None),
                        public_pem=e["public_key_pem"])


def spki_der(crypto_public_key: Any) -> bytes:
    """DER SubjectPublicKeyInfo of a ``cryptography`` public key."""
    from cryptography.hazmat.primitives import serialization

    return bytes(crypto_public_key.public_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PublicFormat.SubjectPublicKeyInfo))


def spki_from_pem(pem: bytes) -> bytes:
    """DER SubjectPublicKeyInfo inside a ``PUBLIC KEY`` PEM (its base64 body)."""
    import base64

    body = b"".join(line for line in pem.strip().splitlines() if not line.startswith(b"-----"))
    return base64.b64decode(body)


def find_published(spki: bytes) -> PublishedKey | None:
    """The published key whose SubjectPublicKeyInfo DER is ``spki``, if any."""
    found = find_published_all(spki)
    return found[0] if found else None


def find_published_all(spki: bytes) -> tuple[PublishedKey, ...]:
    """Every published file holding this key (MCUboot ships some keys twice,
    e.g. ``root-ec-p256.pem`` and ``root-ec-p256-pkcs8.pem``)."""
    digest = hashlib.sha256(spki).digest()
    return tuple(k for k in published_keys() if k.spki_sha256 == digest)


def find_published_hash(digest: bytes) -> PublishedKey | None:
    """The published key with this KEYHASH TLV value (or SPKI SHA-256), if any."""
    return next((k for k in published_keys() if digest in (k.keyhash, k.spki_sha256)), None)
