"""The checks ``sign-ota`` makes before a file leaves the staging folder.

Entry points (each raises an ``OtaError`` whose message names the value, where
it came from, and — in the hint — the fix):

* ``check_header_size(plan)``: the header size equals the application's
  CONFIG_ROM_START_OFFSET (Zephyr links the vector table right after the
  space it reserves for MCUboot's header, modules/Kconfig.mcuboot);
* ``check_link_address(plan, firmware) -> pad_header``: the firmware is linked
  at the image's code partition (slot0 for image 0) plus the header; an image
  linked for another address would be refused or crash;
* ``check_encryption_key(plan, enc_public, signer)``: the encryption key is of
  the type MCUboot was built to decrypt (CONFIG_BOOT_ENCRYPT_RSA/EC256/X25519),
  and MCUboot can pair it with the signature type;
* ``check_signing_key(plan, signer, release) -> str``: the signing key is one
  the bootloader trusts (names which), and with ``--release`` no key is one
  of MCUboot's published development keys;
* ``check_previous(manifest, previous_path, allow_downgrade) -> warnings``;
* ``check_partitions(build)``: no partition of the build's devicetrees
  (MCUboot's and each application's) overlaps another or ends past its flash:
  Zephyr does not check this at build time, and MCUboot would erase the
  neighbour's data during an update.

Slot fit, sector count and slot shapes are ``layout.budget``'s (see
``produce``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from zephyr_ota.errors import ConfigError, KeyMismatchError, LayoutError, PolicyError
from zephyr_ota.ops.resolve import ImagePlan, ReleasePlan

log = logging.getLogger(__name__)

# MCUboot's CONFIG_BOOT_ENCRYPT_<type> -> image.encrypt.EncScheme values it decrypts.
_MCUBOOT_SCHEMES = {"RSA": ("ENCRSA2048",), "EC256": ("ENCEC256",),
                    "X25519": ("ENCX25519", "ENCX25519_SHA512")}


def check_partitions(build: Any) -> None:
    """Overlapping partitions and partitions past the end of their flash, in
    every devicetree of the build, refuse the build (first finding named)."""
    from zephyr_ota.layout.checks import check_bounds, check_overlaps

    trees = [build.mcuboot_devicetree] + [app.devicetree for app in build.apps]
    seen: set[str] = set()
    for dts in trees:
        if dts is None or str(dts.path) in seen:
            continue
        seen.add(str(dts.path))
        found = [f for f in check_bounds(dts.layout) + check_overlaps(dts.layout)
                 if f.severity == "error"]
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            raise LayoutError(f"{dts.path}: {found[0].node_path}: {found[0].message}{more}",
                              hint=found[0].fix or None)


def check_header_size(plan: ImagePlan) -> None:
    header, rom = plan.header_size, plan.rom_start_offset
    if header.value != rom.value:
        raise ConfigError(
            f"{header.source}: header size: expected {rom.value:#x} "
            f"({rom.source}), got {header.value:#x}",
            hint="the application reserves exactly CONFIG_ROM_START_OFFSET bytes for the "
                 "MCUboot header; drop --header-size or rebuild with a matching offset")


def check_link_address(plan: ImagePlan, firmware: Any, slot1: bool = False) -> bool:
    """True when the header must be put in front of the code (--pad-header).

    ``slot1``: ``firmware`` is the direct-xip variant, linked for slot1. In
    ram-load mode the image runs from its load address (MCUboot copies it,
    header first, to ``ih_load_addr`` and jumps past the header)."""
    code, header = plan.code_address, plan.header_size.value
    where = "slot0" if plan.image_index == 0 else f"image {plan.image_index}'s code partition"
    label = plan.app.devicetree.layout.code_partition
    fix = "build the application for MCUboot (CONFIG_BOOTLOADER_MCUBOOT=y, chosen " \
          "zephyr,code-partition = slot0)"
    if slot1:
        assert plan.slot1_address is not None and plan.secondary is not None
        code, where, label = plan.slot1_address, "slot1", plan.secondary.label
        fix = "build the slot1 variant with the slot1-partition snippet"
    elif plan.load_address is not None:
        code, where, label = plan.load_address.value, "the ram-load address", \
            plan.load_address.source
        fix = "link the application in RAM (ram-load: CONFIG_XIP=n, as sysbuild sets it)"
    base = firmware.base_address
    if base == code:
        return False            # Zephyr's zephyr.hex/.elf: the header space is part of it
    if base == code + header:
        return True             # code starts at slot0 + header, no reserved bytes in the file
    shown = "no address (raw binary)" if base is None else f"{base:#x}"
    raise ConfigError(
        f"{firmware.path}: linked at {shown}: expected {where} "
        f"({label}) at {code:#x} + header {header:#x} = {code + header:#x}",
        hint=f"this image was linked for another address; {fix}")


def check_encryption_key(plan: ImagePlan, enc_public: Any, signer: Any) -> None:
    """The encryption key against MCUboot's configuration and the signature type."""
    if plan.encryption is None or enc_public is None:
        return
    from zephyr_ota.image.encrypt import check_pairing, describe_key, scheme_for

    key_src = plan.encryption.key.source
    crypto_key = getattr(enc_public, "crypto_key", enc_public)
    scheme = scheme_for(crypto_key, where=key_src)
    built = plan.encryption.mcuboot_type
    if built is not None and scheme.value not in _MCUBOOT_SCHEMES.get(built, ()):
        raise KeyMismatchError(
            f"{key_src}: encryption key: expected a key for MCUboot's "
            f"CONFIG_BOOT_ENCRYPT_{built}, got {describe_key(crypto_key)} ({scheme.value})",
            hint="give the public half of the device's encryption key MCUboot was built with")
    check_pairing(signer.public.key_type, scheme, False)


def _mcuboot_images(build: Any) -> list[tuple[str, bytes]]:
    """MCUboot's ELF (raw file) and hex (decoded), to search for its keys."""
    out: list[tuple[str, bytes]] = []
    mcu = build.mcuboot
    if mcu is None:
        return out
    if mcu.elf_path is not None and Path(mcu.elf_path).is_file():
        out.append((str(mcu.elf_path), Path(mcu.elf_path).read_bytes()))
    if mcu.hex_path is not None and Path(mcu.hex_path).is_file():
        from zephyr_ota.firmware import load_firmware

        out.append((str(mcu.hex_path), load_firmware(mcu.hex_path).to_bytes(0xFF)))
    return out


def check_signing_key(plan: ReleasePlan, signer: Any, release: bool) -> str:
    """How the bootloader trusts ``signer`` (``KeyMismatchError`` when it does not)."""
    from zephyr_ota.ops.trust import load_trusted_keys, match_signing_key, refuse_published

    trusted = load_trusted_keys(plan.trusted_keys)
    images = [] if trusted else _mcuboot_images(plan.build)
    match = match_signing_key(signer.public, trusted, images)
    if release:
        refuse_published(signer.public, f"{plan.signing_key.source}: signing key")
        for key in trusted:
            refuse_published(key.public, f"{key.source}: trusted key")
    return str(match)


def check_previous(manifest: Any, previous: Path | None, allow_downgrade: bool) -> list[str]:
    """Refuse a release that rolls back ``previous``; returns warnings."""
    if previous is None:
        return []
    from zephyr_ota.manifest.io import read_manifest
    from zephyr_ota.manifest.verify import compare_with_previous

    _, prev = read_manifest(previous)
    findings = compare_with_previous(manifest, prev, allow_downgrade)
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f"{previous}: {f.message}" for f in findings if f.severity != "error"]
    for w in warnings:
        log.warning("%s", w)
    if errors:
        more = "; ".join(f.message for f in errors[1:]) or None
        raise PolicyError(f"{previous}: {errors[0].message}",
                          hint=more or "raise the version/security counter above the previous "
                                       "release (--allow-downgrade turns a lower version into a "
                                       "warning)")
    return warnings
