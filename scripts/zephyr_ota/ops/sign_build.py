"""``sign_build``: a Zephyr build directory to checked, signed release files
(``west sign-ota`` / ``zephyr-ota sign-build``).

Entry point: ``sign_build(SignBuildRequest) -> SignBuildResult``.

Order — nothing reaches the output folder until every check passed:

1. read the build (``zephyr.builddir``) and ota.yml; resolve every
   parameter with its source (``resolve``);
2. keys: the signing key must be one MCUboot trusts (key files or MCUboot's
   own image), ``--release`` refuses published development keys, the
   encryption key must fit MCUboot's configuration (``checks``);
3. in a staging folder inside the output folder (``staging``): sign each
   image, check it against MCUboot's budget, make the encrypted OTA image,
   the hex files, merged.hex, the manifest (checked against ``--previous``)
   and its detached signature, and dfu_application.zip;
4. move every staged file into place (``os.replace``, atomic per file);
   then the optional TUF targets fragment.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from zephyr_ota.errors import InputError
from zephyr_ota.ops.checks import (
    check_encryption_key,
    check_header_size,
    check_partitions,
    check_previous,
    check_signing_key,
)
from zephyr_ota.ops.produce import ImageJob, ProducedImage, produce_image
from zephyr_ota.ops.provenance import Resolved
from zephyr_ota.ops.release import (
    ManifestInputs,
    build_release_manifest,
    manifest_signing_key,
    release_time,
)
from zephyr_ota.ops.requests import SignBuildRequest
from zephyr_ota.ops.resolve import ImagePlan, ReleasePlan, resolve_release
from zephyr_ota.ops.results import BudgetFacts, ImageResult, OutputFile, SignBuildResult
from zephyr_ota.ops.staging import Staging

log = logging.getLogger(__name__)

MERGED_NAME = "merged.hex"


def load_project_config(req: SignBuildRequest, build: Any) -> Any:
    from zephyr_ota.config.loader import find_ota_config, load_ota_config

    path = req.config
    if path is None:
        dirs = [Path.cwd()] + ([Path(build.app.source_dir)] if build.app.source_dir else [])
        path = find_ota_config(*dirs)
    if path is None:
        return None
    log.debug("project settings from %s", path)
    return load_ota_config(path)


def _load_signer(plan: ReleasePlan, signer_pubkey: Path | None) -> Any:
    """The signing key; with SOURCE_DATE_EPOCH set (a reproducible build) ECDSA
    key files sign deterministically (RFC 6979), so a rebuild gives identical
    images and manifest. Encrypted images still differ: each gets a fresh AES key.
    A ``cmd:`` signer's signatures are checked with ``signer_pubkey``, else with
    the first key the bootloader trusts (the one Zephyr signs with)."""
    import dataclasses
    import os

    from zephyr_ota.keys.external import CMD_PREFIX, load_signer

    if signer_pubkey is None and plan.signing_key.value.startswith(CMD_PREFIX) \
            and plan.trusted_keys:
        signer_pubkey = plan.trusted_keys[0][0]
    signer = load_signer(plan.signing_key.value, public_key=signer_pubkey)
    if os.environ.get("SOURCE_DATE_EPOCH") and hasattr(signer, "deterministic") and \
            dataclasses.is_dataclass(signer) and not isinstance(signer, type):
        signer = dataclasses.replace(signer, deterministic=True)
    return signer


def _load_enc_key(image: ImagePlan) -> Any:
    if image.encryption is None:
        return None
    from zephyr_ota.keys import load_public_key

    return load_public_key(image.encryption.key.value)


def _check_keys(plan: ReleasePlan, signer: Any, release: bool) -> tuple[str, dict[int, Any]]:
    from zephyr_ota.ops.trust import refuse_published

    trusted_by = check_signing_key(plan, signer, release)
    enc_keys = {}
    for image in plan.images:
        enc_keys[image.image_index] = key = _load_enc_key(image)
        check_encryption_key(image, key, signer)
        if release and key is not None and image.encryption is not None:
            refuse_published(key, f"{image.encryption.key.source}: encryption key")
    return trusted_by, enc_keys


def _hex_files(stage: Staging, made: tuple[ProducedImage, ...], build: Any, confirm: bool,
               factory: bool = True) -> None:
    from zephyr_ota.ops.merged import write_image_hex, write_merged_hex

    for m in made:
        data = stage.read(m.names.primary_bin)
        write_image_hex(stage.path(m.names.primary_hex), m.plan.code_address, data)
        if m.slot1 is not None and m.plan.slot1_address is not None:
            write_image_hex(stage.path(m.names.slot1_hex), m.plan.slot1_address,
                            stage.read(m.names.slot1_bin))
    first = made[0]
    if not factory:
        log.info("merged.hex not written (ota.yml outputs.factory_image: false)")
        return
    if build.mcuboot is None:
        log.warning("no MCUboot domain in the build: merged.hex not written")
        return
    log.info("writing %s (MCUboot + image 0%s)", MERGED_NAME, ", confirmed" if confirm else "")
    app = stage.scratch_path(first.names.confirmed).read_bytes() if confirm \
        else stage.read(first.names.primary_bin)
    write_merged_hex(stage.path(MERGED_NAME), build.mcuboot.hex_path,
                     [(f"image 0 ({first.plan.name})", first.plan.code_address, app)])


def _manifest_files(stage: Staging, manifest: Any, manifest_key: Any) -> None:
    from zephyr_ota.manifest.io import MANIFEST_NAME, SIGNATURE_NAME, manifest_bytes
    from zephyr_ota.manifest.signing import sign, signature_file_bytes

    data = manifest_bytes(manifest)
    stage.put(MANIFEST_NAME, data)
    stage.put(SIGNATURE_NAME, signature_file_bytes(sign(data, [manifest_key])))


def _zip(stage: Staging, manifest: Any, when: int) -> None:
    from zephyr_ota.manifest.dfu_zip import DFU_ZIP_NAME, DfuZipRequest, write_dfu_zip

    write_dfu_zip(DfuZipRequest(manifest, stage.folder, stage.path(DFU_ZIP_NAME), when))


def _image_result(m: ProducedImage, trusted_by: str) -> ImageResult:
    b = m.budget
    return ImageResult(
        name=m.plan.name, domain=m.plan.app.domain, image_index=m.plan.image_index,
        parameters=_parameters(m),
        budget=BudgetFacts(b.mode.value, b.slot_size, b.trailer_size, b.spare_sector,
                           b.max_image_size, m.primary.image_size),
        trusted_by=trusted_by, encrypted=m.secondary is not None,
        version=str(m.plan.version.value), security_counter=_sec(m),
        image_hash=m.primary.digest.hex())


def _parameters(m: ProducedImage) -> tuple[tuple[str, Resolved[object]], ...]:
    """The plan's rows, with CONFIG_BOOT_MAX_IMG_SECTORS_AUTO shown as the count it gives."""
    rows = []
    for name, value in m.plan.parameters():
        if name == "max sectors" and value.value is None:
            value = Resolved(m.budget.max_img_sectors, f"{value.source} (largest slot's sectors)")
        rows.append((name, value))
    return tuple(rows)


def _sec(m: ProducedImage) -> int | None:
    tlv = next((t for t in m.primary.protected_tlvs if t.kind == 0x50), None)  # SEC_CNT
    return int.from_bytes(tlv.value, "little") if tlv is not None else None


def _kind(name: str) -> str:
    for suffix, kind in ((".slot1.signed.bin", "slot1-bin"), (".slot1.signed.hex", "slot1-hex"),
                         (".signed.encrypted.bin", "secondary-encrypted"),
                         (".signed.bin", "primary-bin"), (".signed.hex", "primary-hex"),
                         ("merged.hex", "merged-hex"), (".json.sig", "manifest-signature"),
                         (".json", "manifest"), (".zip", "dfu-zip")):
        if name.endswith(suffix):
            return kind
    return "other"


def _confirm(req: SignBuildRequest, plan: ReleasePlan) -> bool:
    """--confirm, or direct-xip with revert: MCUboot would revert (erase) an unconfirmed
    image after its first boot, so Zephyr's build always makes the confirmed image for
    flashing then (cmake/mcuboot.cmake: CONFIG_MCUBOOT_BOOTLOADER_MODE_DIRECT_XIP_WITH_REVERT)."""
    if req.confirm:
        return True
    from zephyr_ota.layout.model import UpgradeMode

    build = plan.build
    revert = (build.mcuboot is not None and bool(build.mcuboot.revert.value)) or (
        build.sysbuild_config is not None and
        build.sysbuild_config.config.flag("SB_CONFIG_MCUBOOT_MODE_DIRECT_XIP_WITH_REVERT"))
    if revert and plan.images[0].mode.value is UpgradeMode.DIRECT_XIP:
        log.info("direct-xip with revert: merged.hex holds the confirmed image")
        return True
    return False


def _stage_all(req: SignBuildRequest, plan: ReleasePlan, stage: Staging, signer: Any,
               keys: tuple[str, dict[int, Any]], created: int
               ) -> tuple[tuple[ProducedImage, ...], Any, list[str]]:
    confirm = _confirm(req, plan)
    made = tuple(produce_image(ImageJob(i, signer, keys[1][i.image_index], stage, confirm))
                 for i in plan.images)
    factory = getattr(getattr(plan.config, "outputs", None), "factory_image", None) is not False
    _hex_files(stage, made, plan.build, confirm, factory)
    from zephyr_ota.ops.trust import load_trusted_keys

    trusted = tuple(k.public for k in load_trusted_keys(plan.trusted_keys))
    scheme = _scheme(keys[1], plan)
    manifest = build_release_manifest(ManifestInputs(plan, made, stage.folder, signer,
                                                     trusted, scheme, created))
    warnings = check_previous(manifest, req.previous, req.allow_downgrade)
    return made, manifest, warnings


def _tuf_fragment(manifest: Any) -> bytes:
    """The TUF targets fragment, made before anything is written (python-tuf
    is an optional extra: a missing one fails here, not after the commit)."""
    from zephyr_ota.manifest.tuf_export import fragment_bytes

    return fragment_bytes(manifest)


def _write_tuf(folder: Path, data: bytes) -> OutputFile:
    import hashlib

    from zephyr_ota.fileio import atomic_write
    from zephyr_ota.manifest.tuf_export import FRAGMENT_NAME

    path = folder / FRAGMENT_NAME
    atomic_write(path, data)
    return OutputFile(path, "tuf-targets", len(data), hashlib.sha256(data).hexdigest())


def _scheme(enc_keys: dict[int, Any], plan: ReleasePlan) -> str | None:
    key = next((k for k in enc_keys.values() if k is not None), None)
    if key is None:
        return None
    from zephyr_ota.image.encrypt import scheme_for

    return str(scheme_for(getattr(key, "crypto_key", key)).value)


def sign_build(req: SignBuildRequest) -> SignBuildResult:
    """Resolve, check, sign and write a build's release files (see module doc)."""
    from zephyr_ota.zephyr.builddir import read_build_dir

    build = read_build_dir(req.build_dir)
    check_partitions(build)
    config = load_project_config(req, build)
    plan = resolve_release(req, build, config)
    for image in plan.images:
        check_header_size(image)
    release = req.release or bool(getattr(config, "release", False))
    signer = _load_signer(plan, req.signer_pubkey)
    keys = _check_keys(plan, signer, release)
    manifest_key, manifest_desc = manifest_signing_key(plan, signer)
    if req.tuf_targets is not None and req.tuf_targets.exists() and not req.tuf_targets.is_dir():
        # checked before the release is committed: nothing is written when it fails
        raise InputError(f"{req.tuf_targets}: --tuf-targets: expected a folder, found a file")
    with Staging(plan.out_dir, req.dry_run) as stage:
        created = release_time()
        made, manifest, warnings = _stage_all(req, plan, stage, signer, keys, created)
        _manifest_files(stage, manifest, manifest_key)
        _zip(stage, manifest, created)
        tuf = _tuf_fragment(manifest) if req.tuf_targets is not None else None
        outputs = [OutputFile(plan.out_dir / n, _kind(n), *stage.digest(n))
                   for n in stage.names]
        if not req.dry_run:
            stage.commit()
    if tuf is not None and req.tuf_targets is not None and not req.dry_run:
        outputs.append(_write_tuf(req.tuf_targets, tuf))
    return SignBuildResult(
        build_dir=req.build_dir, out_dir=plan.out_dir,
        images=tuple(_image_result(m, keys[0]) for m in made), outputs=tuple(outputs),
        warnings=tuple(warnings), dry_run=req.dry_run, manifest_key=manifest_desc)
