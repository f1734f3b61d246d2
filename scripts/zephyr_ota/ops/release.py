"""The release manifest of a signed build: facts collected from the images
made (``produce``) and the build directory, handed to ``manifest.build``.

Entry points: ``ManifestInputs``, ``release_time()``, ``build_release_manifest(inputs) ->
ReleaseManifest``, ``manifest_signing_key(plan, signer) -> (key, description)``,
``app_revision(source_dir)``.

One manifest covers every image of the build (issue 9): for each image the
file delivered over the air (the fully encrypted one when encryption is on,
written to the secondary slot), its size and SHA-256, and MCUboot's hash TLV
as ``image_hash``. ``created`` honours SOURCE_DATE_EPOCH so a rebuild gives
identical bytes.
"""

from __future__ import annotations

import logging
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zephyr_ota.errors import UsageError
from zephyr_ota.ops.produce import ProducedImage
from zephyr_ota.ops.resolve import ReleasePlan

log = logging.getLogger(__name__)

# image.encrypt.EncScheme value -> manifest encryption scheme name
_SCHEME_NAMES = {"ENCRSA2048": "rsa-oaep", "ENCEC256": "ecies-p256",
                 "ENCX25519": "ecies-x25519", "ENCX25519_SHA512": "ecies-x25519"}
_KEYHASH_TLV = 0x01       # image.h IMAGE_TLV_KEYHASH


@dataclass(frozen=True)
class ManifestInputs:
    plan: ReleasePlan
    images: tuple[ProducedImage, ...]
    staged: Path                         # folder holding the staged files
    signer: Any
    trusted_public: tuple[Any, ...]      # public keys the bootloader trusts
    scheme: str | None                   # EncScheme value when encrypting
    created: int                         # Unix time of the release (release_time())


def app_revision(source_dir: Path | None) -> str | None:
    """``git describe --always --dirty --tags`` of the application, when it is a git tree."""
    if source_dir is None or not Path(source_dir).is_dir():
        return None
    try:
        proc = subprocess.run(["git", "-C", str(source_dir), "describe", "--always", "--dirty",
                               "--tags"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def _flags(header: Any) -> tuple[str, ...]:
    from zephyr_ota.image.constants import ImageFlag

    return tuple(f.name for f in ImageFlag if f.name and f in header.flags)


def _soc(board: str) -> str:
    # Zephyr board targets name the SoC as the second part: nrf52840dk/nrf52840.
    parts = board.split("/")
    return parts[1] if len(parts) > 1 else parts[0]


def _image_facts(made: ProducedImage, staged: Path, scheme: str | None) -> list[Any]:
    """The manifest entries of one image: the OTA file (slot 1); in direct-xip also the
    slot0-linked image as ``<name>-slot0`` — a device running from slot1 takes that one
    (NCS's dfu zip carries both, ``slot`` "0"/"1", sdk-nrf PR #28179)."""
    plan = made.plan
    if made.slot1 is not None and plan.slot1_address is not None:
        load = plan.load_address.value if plan.load_address is not None else plan.slot1_address
        facts = [_facts(made, _Entry(made.ota, made.ota_name, 1, plan.name, load), staged, scheme)]
        if plan.load_address is None:       # direct-xip: the slot0 build too
            facts.append(_facts(made, _Entry(made.primary, made.names.primary_bin, 0,
                                             f"{plan.name}-slot0", plan.code_address),
                                staged, scheme))
        return facts
    return [_facts(made, _Entry(made.ota, made.ota_name, 1, plan.name, plan.code_address),
                   staged, scheme)]


@dataclass(frozen=True)
class _Entry:
    image: Any                           # image.build.SignedImage
    file: str
    slot: int
    name: str
    load_address: int


def _facts(made: ProducedImage, entry: _Entry, staged: Path, scheme: str | None) -> Any:
    from zephyr_ota.manifest.build import ImageFacts
    from zephyr_ota.manifest.model import Encryption

    plan, img = made.plan, entry.image
    keyhash = next((t.value for t in img.tlvs if t.kind == _KEYHASH_TLV), None)
    enc = None
    if made.secondary is not None and scheme is not None and plan.encryption is not None:
        enc = Encryption(_SCHEME_NAMES[scheme], plan.encryption.aes_bits.value)
    board = str(plan.app.board or "")
    offset = made.budget.spare_sector if plan.mode.value.value == "swap-using-offset" else 0
    return ImageFacts(
        name=entry.name, type=_image_type(plan.image_index, board),
        image_index=plan.image_index, slot=entry.slot, load_address=entry.load_address,
        slot_size=plan.slot_size.value, path=staged / entry.file,
        hash_alg=img.hash_alg.value, image_hash=img.digest, version=str(plan.version.value),
        upgrade_mode=plan.mode.value.value, security_counter=_counter(img),
        key_hash=keyhash, encryption=enc, header_flags=_flags(img.header),
        secondary_offset=offset, board=board if plan.image_index else None,
        soc=_soc(board) if plan.image_index and board else None)  # size, sha256: streamed


def _image_type(index: int, board: str) -> str:
    # nRF5340: the second image is the network core (board target .../cpunet).
    return "network-core" if index and "cpunet" in board else "application"


def _counter(img: Any) -> int | None:
    tlv = next((t for t in img.protected_tlvs if t.kind == 0x50), None)   # IMAGE_TLV_SEC_CNT
    return int.from_bytes(tlv.value, "little") if tlv is not None else None


def release_time() -> int:
    """SOURCE_DATE_EPOCH (reproducible builds), else now."""
    from zephyr_ota.manifest.build import source_date_epoch

    epoch = source_date_epoch()
    return int(time.time()) if epoch is None else epoch


def build_release_manifest(inputs: ManifestInputs) -> Any:
    """The ``ReleaseManifest`` for the staged images."""
    from zephyr_ota.manifest.build import ReleaseRequest, build_manifest, key_hashes
    from zephyr_ota.manifest.model import Bootloader

    plan, first = inputs.plan, inputs.images[0]
    build, cfg = plan.build, plan.config
    fields = dict(getattr(getattr(cfg, "manifest", None), "fields", {}) or {})
    hash_alg = first.ota.hash_alg.value
    board = str(build.app.board or build.info.board or "unknown")
    boot = Bootloader(
        upgrade_mode=first.plan.mode.value.value, hash_alg=hash_alg,
        signature_alg=inputs.signer.public.key_type.value,
        trusted_key_hashes=key_hashes([k.public_bytes() for k in inputs.trusted_public]
                                      or [inputs.signer.public.public_bytes()], hash_alg),
        encryption_scheme=_SCHEME_NAMES.get(inputs.scheme or ""))
    source = build.app.source_dir
    name = (getattr(getattr(cfg, "manifest", None), "name", None) or getattr(cfg, "project", None)
            or (Path(source).name if source else build.app.domain))
    return build_manifest(ReleaseRequest(
        release_name=str(name), release_version=str(fields.get("release_version")
                                                      or first.plan.version.value),
        vendor_domain=str(fields.get("vendor_domain", "zephyrproject.org")),
        class_name=str(fields.get("class", board)), board=board, soc=_soc(board),
        bootloader=boot, images=tuple(f for m in inputs.images
                                      for f in _image_facts(m, inputs.staged, inputs.scheme)),
        created=inputs.created, zephyr_revision=build.info.zephyr_version,
        app_revision=app_revision(source)))


def manifest_signing_key(plan: ReleasePlan, signer: Any) -> tuple[Any, str]:
    """The manifest key and how it was chosen: ``--manifest-key``/ota.yml, else
    the image key when it is Ed25519 or ECDSA P-256 (with a warning)."""
    from zephyr_ota.keys import load_private_key

    if plan.manifest_key is not None:
        return load_private_key(plan.manifest_key.value), \
            f"{plan.manifest_key.value} ({plan.manifest_key.source})"
    kind = signer.public.key_type.value
    if kind in ("ed25519", "ecdsa-p256") and hasattr(signer, "crypto_key"):
        log.warning("the manifest is signed with the image signing key %s: a separate "
                    "manifest key (--manifest-key) limits what one leaked key can do",
                    plan.signing_key.value)
        return signer, f"the image signing key {plan.signing_key.value} ({plan.signing_key.source})"
    raise UsageError(
        f"{plan.signing_key.source}: manifest key: expected --manifest-key, or an Ed25519 or "
        f"ECDSA P-256 image key file, got a {kind} "
        f"{'key file' if hasattr(signer, 'crypto_key') else 'token/external signer'}",
        hint="give --manifest-key with an Ed25519 or ECDSA P-256 private key")
