"""Build a ``ReleaseManifest`` from the facts ``ops`` collected.

Entry points: ``ImageFacts`` (what the caller parsed from one image it
wrote), ``ReleaseRequest`` (release-wide facts), ``build_manifest(request)``,
``file_digest(path)`` and ``timestamp(epoch)``.

``ops`` passes plain values it already has: header and TLV facts from the
image engine, build facts from the build directory. Size and SHA-256 of each
file may be passed (when the engine hashed while writing) or are computed
here in one streamed pass.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zephyr_ota.errors import InputError
from zephyr_ota.manifest.model import (
    Bootloader,
    Dependency,
    Encryption,
    Identity,
    ImageEntry,
    ImageHash,
    InstallPolicy,
    Provenance,
    Release,
    ReleaseManifest,
    Target,
    Version,
)

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ImageFacts:
    """One image file as the caller knows it. ``path`` is the delivered
    file; the manifest records only its name. ``image_hash`` is the value of
    MCUboot's hash TLV as raw bytes; ``hash_alg`` its algorithm."""

    name: str
    type: str
    image_index: int
    slot: int
    load_address: int
    slot_size: int
    path: Path
    hash_alg: str
    image_hash: bytes
    version: str                                  # imgtool form, "1.2.3+4" or "1.2.3"
    upgrade_mode: str
    security_counter: int | None = None
    key_hash: bytes | None = None
    encryption: Encryption | None = None
    header_flags: tuple[str, ...] = ()
    dependencies: tuple[tuple[int, str], ...] = ()    # (image_index, min version "1.2.3+0")
    secondary_offset: int = 0                     # swap-using-offset; 0 = not used
    board: str | None = None                      # only when not the release target's
    soc: str | None = None
    size: int | None = None                       # with sha256: skip re-reading the file
    sha256: bytes | None = None


@dataclass(frozen=True)
class ReleaseRequest:
    """Release-wide facts. ``created`` is a Unix time (SOURCE_DATE_EPOCH for
    reproducible builds); ``sequence_number`` defaults to it."""

    release_name: str
    release_version: str
    vendor_domain: str
    class_name: str
    board: str
    soc: str
    bootloader: Bootloader
    images: tuple[ImageFacts, ...]
    created: int
    sequence_number: int | None = None
    expires: int | None = None
    zephyr_revision: str | None = None
    app_revision: str | None = None
    atomic: bool = True
    install_order: tuple[str, ...] | None = None  # default: descending image index (net core first)
    confirm: str = "test-then-confirm"


def timestamp(epoch: int) -> str:
    """RFC 3339 UTC with second precision: ``2026-11-25T19:00:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def source_date_epoch(environ: dict[str, str] | None = None) -> int | None:
    """SOURCE_DATE_EPOCH (reproducible-builds.org) as an int, or None when unset."""
    env = os.environ if environ is None else environ
    raw = env.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise InputError(f"SOURCE_DATE_EPOCH: expected a non-negative integer, got {raw!r}")
    return int(raw)


def file_digest(path: Path) -> tuple[int, bytes]:
    """(size, SHA-256) of a file, in one streamed pass."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except FileNotFoundError as e:
        raise InputError(f"{path}: image file not found") from e
    except OSError as e:
        raise InputError(f"{path}: cannot read image file: {e.strerror}") from e
    return size, digest.digest()


def build_image_entry(facts: ImageFacts) -> ImageEntry:
    """One manifest entry; warns when the image hash is SHA-384."""
    if facts.size is not None and facts.sha256 is not None:
        size, sha = facts.size, facts.sha256
    else:
        size, sha = file_digest(facts.path)
    warn_sha384(facts.name, facts.hash_alg)
    return ImageEntry(
        name=facts.name, type=facts.type, image_index=facts.image_index, slot=facts.slot,
        load_address=facts.load_address, slot_size=facts.slot_size, file=facts.path.name,
        size=size, sha256=sha.hex(), image_hash=ImageHash(facts.hash_alg, facts.image_hash.hex()),
        version=Version.parse(facts.version), security_counter=facts.security_counter,
        key_hash=None if facts.key_hash is None else facts.key_hash.hex(),
        encryption=facts.encryption, upgrade_mode=facts.upgrade_mode,
        header_flags=tuple(facts.header_flags),
        dependencies=tuple(Dependency(i, Version.parse(v, "dependencies.min_version"))
                           for i, v in facts.dependencies),
        secondary_offset=facts.secondary_offset or None, board=facts.board, soc=facts.soc)


def warn_sha384(name: str, hash_alg: str) -> None:
    # Zephyr's img_mgmt reads the image hash as SHA-256 or SHA-512 only
    # (subsys/mgmt/mcumgr/grp/img_mgmt/src/img_mgmt.c, IMAGE_TLV_SHA256 /
    # IMAGE_TLV_SHA512), so MCUmgr shows no hash for a SHA-384 image.
    if hash_alg == "sha384":
        log.warning("image %s: SHA-384 image hash: Zephyr's image manager (MCUmgr) lists only "
                    "SHA-256 and SHA-512 hashes, so `image list` will not show it", name)


def build_manifest(req: ReleaseRequest) -> ReleaseManifest:
    """The release manifest for ``req``; raises ``FieldError`` (an
    ``InputError``) naming the field when a fact breaks a rule."""
    images = tuple(build_image_entry(f) for f in req.images)
    order = req.install_order
    if order is None:
        # Multi-image updates (nRF5340): the network core is updated before the
        # application that depends on it, so higher image indexes go first.
        order = tuple(i.name for i in sorted(images, key=lambda i: -i.image_index))
    return ReleaseManifest(
        sequence_number=req.created if req.sequence_number is None else req.sequence_number,
        created=timestamp(req.created),
        expires=None if req.expires is None else timestamp(req.expires),
        identity=Identity.derive(req.vendor_domain, req.class_name),
        release=Release(req.release_name, req.release_version,
                        Provenance(req.zephyr_revision, req.app_revision)),
        target=Target(req.board, req.soc),
        bootloader=req.bootloader,
        install=InstallPolicy(req.atomic, order, req.confirm),
        images=images)


def key_hashes(public_keys: Sequence[bytes], hash_alg: str) -> tuple[str, ...]:
    """Hex digests of MCUboot public-key bytes as the KEYHASH TLV holds them
    (bootutil hashes the embedded key with the image hash algorithm)."""
    return tuple(hashlib.new(hash_alg, k).hexdigest() for k in public_keys)
