"""Typed views of the three ``.config`` files of a sysbuild MCUboot build,
each value with its ``Source``.

Entry points: ``sysbuild_config(kconfig, ctx)``, ``mcuboot_config(kconfig, ctx)``,
``app_options(kconfig, ctx)`` and ``Val`` (a value with provenance).
Symbol names are checked against (search tool, 2026-11):
- MCUboot ``boot/zephyr/Kconfig`` (mcu-tools/mcuboot @002a4ea3):
  BOOT_SWAP_USING_SCRATCH/MOVE/OFFSET, BOOT_UPGRADE_ONLY, BOOT_DIRECT_XIP,
  BOOT_RAM_LOAD, BOOT_FIRMWARE_LOADER, SINGLE_APPLICATION_SLOT,
  BOOT_SIGNATURE_TYPE_{NONE,RSA,ECDSA_P256,ED25519}, BOOT_SIGNATURE_TYPE_RSA_LEN,
  BOOT_SIGNATURE_KEY_FILE, BOOT_ENCRYPT_IMAGE, BOOT_ENCRYPT_{RSA,EC256,X25519},
  BOOT_ENCRYPT_ALG_AES_{128,256}, BOOT_ENCRYPTION_KEY_FILE, BOOT_SWAP_SAVE_ENCTLV,
  BOOT_MAX_IMG_SECTORS_AUTO (default y), BOOT_MAX_IMG_SECTORS (default 128),
  UPDATEABLE_IMAGE_NUMBER, BOOT_HW_KEY, BOOT_DIRECT_XIP_REVERT, BOOT_RAM_LOAD_REVERT.
- Zephyr ``share/sysbuild/images/bootloader/Kconfig``: BOOTLOADER_MCUBOOT,
  MCUBOOT_MODE_*, BOOT_SIGNATURE_TYPE_*, BOOT_SIGNATURE_KEY_FILE,
  BOOT_ENCRYPTION, BOOT_ENCRYPTION_KEY_FILE (prefixed SB_CONFIG_ in .config).
- Zephyr ``modules/Kconfig.mcuboot``: MCUBOOT_SIGNATURE_KEY_FILE,
  MCUBOOT_ENCRYPTION_KEY_FILE, MCUBOOT_IMGTOOL_SIGN_VERSION (default "0.0.0+0"),
  MCUBOOT_EXTRA_IMGTOOL_ARGS, MCUBOOT_IMGTOOL_OVERWRITE_ONLY,
  MCUBOOT_GENERATE_CONFIRMED_IMAGE, MCUBOOT_BOOTLOADER_MODE_*.

Key lists: since zephyr PR #111203 / mcuboot PR #2701 a signature key file
option may name several PEM files separated by commas (MCUboot's CMake does
``string(REPLACE "," ";" ...)``; semicolons do not survive sysbuild); the
first is the signing key, later ones public-only. Relative paths resolve as
documented in zephyr PR #111814: the application's key against
APPLICATION_CONFIG_DIR then WEST_TOPDIR; MCUboot's against its
APPLICATION_CONFIG_DIR then the MCUboot module directory. ``${APP_DIR}`` and
``${ZEPHYR_MCUBOOT_MODULE_DIR}`` are expanded as sysbuild's string(CONFIGURE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from zephyr_ota.layout.model import Source, UpgradeMode
from zephyr_ota.zephyr.kconfig import KconfigFile

T = TypeVar("T")
M = UpgradeMode

MCUBOOT_MODES = (  # MCUboot's own .config: choice BOOT_IMAGE_UPGRADE_MODE
    ("CONFIG_BOOT_SWAP_USING_SCRATCH", M.SWAP_USING_SCRATCH),
    ("CONFIG_BOOT_SWAP_USING_MOVE", M.SWAP_USING_MOVE),
    ("CONFIG_BOOT_SWAP_USING_OFFSET", M.SWAP_USING_OFFSET),
    ("CONFIG_BOOT_UPGRADE_ONLY", M.OVERWRITE_ONLY),
    ("CONFIG_BOOT_DIRECT_XIP", M.DIRECT_XIP),
    ("CONFIG_BOOT_RAM_LOAD", M.RAM_LOAD),
    ("CONFIG_BOOT_FIRMWARE_LOADER", M.FIRMWARE_LOADER),
)
SYSBUILD_MODES = (  # sysbuild: choice MCUBOOT_MODE
    ("SB_CONFIG_MCUBOOT_MODE_SWAP_USING_OFFSET", M.SWAP_USING_OFFSET),
    ("SB_CONFIG_MCUBOOT_MODE_SWAP_USING_MOVE", M.SWAP_USING_MOVE),
    ("SB_CONFIG_MCUBOOT_MODE_SWAP_WITHOUT_SCRATCH", M.SWAP_USING_MOVE),  # deprecated alias
    ("SB_CONFIG_MCUBOOT_MODE_SWAP_SCRATCH", M.SWAP_USING_SCRATCH),
    ("SB_CONFIG_MCUBOOT_MODE_OVERWRITE_ONLY", M.OVERWRITE_ONLY),
    ("SB_CONFIG_MCUBOOT_MODE_DIRECT_XIP", M.DIRECT_XIP),
    ("SB_CONFIG_MCUBOOT_MODE_DIRECT_XIP_WITH_REVERT", M.DIRECT_XIP),
    ("SB_CONFIG_MCUBOOT_MODE_RAM_LOAD", M.RAM_LOAD),
    ("SB_CONFIG_MCUBOOT_MODE_FIRMWARE_UPDATER", M.FIRMWARE_LOADER),
)
APP_MODES = (  # application: choice MCUBOOT_BOOTLOADER_MODE (names across Zephyr versions)
    ("CONFIG_MCUBOOT_BOOTLOADER_MODE_SWAP_USING_OFFSET", M.SWAP_USING_OFFSET),
    ("CONFIG_MCUBOOT_BOOTLOADER_MODE_SWAP_USING_MOVE", M.SWAP_USING_MOVE),
    ("CONFIG_MCUBOOT_BOOTLOADER_MODE_SWAP_WITHOUT_SCRATCH", M.SWAP_USING_MOVE),
    ("CONFIG_MCUBOOT_BOOTLOADER_MODE_SWAP_SCRATCH", M.SWAP_USING_SCRATCH),
    ("CONFIG_MCUBOOT_BOOTLOADER_MODE_OVERWRITE_ONLY", M.OVERWRITE_ONLY),
    ("CONFIG_MCUBOOT_BOOTLOADER_MODE_DIRECT_XIP", M.DIRECT_XIP),
    ("CONFIG_MCUBOOT_BOOTLOADER_MODE_DIRECT_XIP_WITH_REVERT", M.DIRECT_XIP),
    ("CONFIG_MCUBOOT_BOOTLOADER_MODE_RAM_LOAD", M.RAM_LOAD),
    ("CONFIG_MCUBOOT_BOOTLOADER_MODE_FIRMWARE_UPDATER", M.FIRMWARE_LOADER),
)
SIG_TYPES = ("NONE", "RSA", "ECDSA_P256", "ED25519")


@dataclass(frozen=True)
class Val(Generic[T]):
    """A value and where it came from."""

    value: T
    source: Source

    def __str__(self) -> str:
        return f"{self.value} ({self.source})"


@dataclass(frozen=True)
class KeyRef:
    """One key file named by a Kconfig option, resolved to a path."""

    raw: str                 # as written in .config
    path: Path               # resolved (first candidate that exists, else the first)
    exists: bool
    source: Source           # .config:line plus how it was resolved


@dataclass(frozen=True)
class PathContext:
    """Where relative key paths resolve (see module docstring)."""

    bases: tuple[Path, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)


def _expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$[{(]([A-Za-z0-9_]+)[})]",
                  lambda m: variables.get(m.group(1), m.group(0)), text)


def key_list(kconfig: KconfigFile, name: str, ctx: PathContext) -> tuple[KeyRef, ...]:
    """The comma-separated key files of ``name``; () when unset or empty."""
    raw = kconfig.string(name) or ""
    out = []
    for item in (p.strip() for p in raw.split(",")):
        if not item:
            continue
        expanded = Path(_expand(item, ctx.variables))
        cands = [expanded] if expanded.is_absolute() else [b / expanded for b in ctx.bases]
        hit = next((c for c in cands if c.exists()), None)
        path = hit or (cands[0] if cands else expanded)
        how = "" if expanded.is_absolute() else f", relative to {path.parent if hit else (ctx.bases[0] if ctx.bases else '.')}"
        out.append(KeyRef(item, path, hit is not None or path.exists(),
                          Source(f"{kconfig.source(name)}{how}")))
    return tuple(out)


def _choice(kconfig: KconfigFile, table: tuple[tuple[str, UpgradeMode], ...]
            ) -> Val[UpgradeMode | None]:
    for symbol, mode in table:
        if kconfig.flag(symbol):
            return Val(mode, kconfig.source(symbol))
    return Val(None, Source(f"{kconfig.path} (no mode symbol set)"))


def _sig_type(kconfig: KconfigFile, prefix: str) -> Val[str | None]:
    for t in SIG_TYPES:
        if kconfig.flag(f"{prefix}BOOT_SIGNATURE_TYPE_{t}"):
            return Val(t, kconfig.source(f"{prefix}BOOT_SIGNATURE_TYPE_{t}"))
    return Val(None, Source(f"{kconfig.path} (no signature type set)"))


def _flag(kconfig: KconfigFile, name: str) -> Val[bool]:
    return Val(kconfig.flag(name), kconfig.source(name))


def _int(kconfig: KconfigFile, name: str, default: int | None) -> Val[int | None]:
    return Val(kconfig.integer(name, default), kconfig.source(name))


def _str(kconfig: KconfigFile, name: str, default: str | None) -> Val[str | None]:
    return Val(kconfig.string(name, default), kconfig.source(name))


@dataclass(frozen=True)
class SysbuildConfig:
    """``<build>/zephyr/.config`` of a sysbuild build (SB_CONFIG_*)."""

    config: KconfigFile
    bootloader_mcuboot: Val[bool]
    mode: Val[UpgradeMode | None]
    signature_type: Val[str | None]
    signature_keys: tuple[KeyRef, ...]       # first signs; later ones public-only
    encryption: Val[bool]
    encryption_key: KeyRef | None


def sysbuild_config(kconfig: KconfigFile, ctx: PathContext) -> SysbuildConfig:
    enc = key_list(kconfig, "SB_CONFIG_BOOT_ENCRYPTION_KEY_FILE", ctx)
    return SysbuildConfig(
        kconfig, _flag(kconfig, "SB_CONFIG_BOOTLOADER_MCUBOOT"), _choice(kconfig, SYSBUILD_MODES),
        _sig_type(kconfig, "SB_CONFIG_"),
        key_list(kconfig, "SB_CONFIG_BOOT_SIGNATURE_KEY_FILE", ctx),
        _flag(kconfig, "SB_CONFIG_BOOT_ENCRYPTION"), enc[0] if enc else None)


@dataclass(frozen=True)
class McubootConfig:
    """MCUboot's own ``zephyr/.config``: what the bootloader was built to accept."""

    config: KconfigFile
    build_dir: Path
    hex_path: Path | None
    elf_path: Path | None
    mode: Val[UpgradeMode | None]
    single_slot: Val[bool]                   # CONFIG_SINGLE_APPLICATION_SLOT
    signature_type: Val[str | None]
    rsa_len: Val[int | None]
    signature_keys: tuple[KeyRef, ...]       # every key the bootloader trusts
    hw_key: Val[bool]
    encrypt: Val[bool]                       # CONFIG_BOOT_ENCRYPT_IMAGE
    encrypt_type: Val[str | None]            # "RSA" | "EC256" | "X25519"
    aes256: Val[bool]
    save_enctlv: Val[bool]
    encryption_key: KeyRef | None
    max_img_sectors: Val[int | None]         # None when AUTO computes it
    max_img_sectors_auto: Val[bool]
    image_number: Val[int | None]            # CONFIG_UPDATEABLE_IMAGE_NUMBER
    revert: Val[bool]                        # DIRECT_XIP_REVERT / RAM_LOAD_REVERT


def _encrypt_type(kconfig: KconfigFile) -> Val[str | None]:
    for t in ("RSA", "EC256", "X25519"):
        if kconfig.flag(f"CONFIG_BOOT_ENCRYPT_{t}"):
            return Val(t, kconfig.source(f"CONFIG_BOOT_ENCRYPT_{t}"))
    return Val(None, Source(f"{kconfig.path} (no CONFIG_BOOT_ENCRYPT_* set)"))


def _max_sectors(kconfig: KconfigFile) -> Val[int | None]:
    """None when MCUboot computes it (CONFIG_BOOT_MAX_IMG_SECTORS_AUTO, default y):
    BOOT_MAX_IMG_SECTORS "depends on !BOOT_MAX_IMG_SECTORS_AUTO", so a fixed
    value next to AUTO=y is not what the bootloader uses (issue 8)."""
    if kconfig.flag("CONFIG_BOOT_MAX_IMG_SECTORS_AUTO"):
        return Val(None, kconfig.source("CONFIG_BOOT_MAX_IMG_SECTORS_AUTO"))
    value = kconfig.integer("CONFIG_BOOT_MAX_IMG_SECTORS")
    if value is not None:
        return Val(value, kconfig.source("CONFIG_BOOT_MAX_IMG_SECTORS"))
    return Val(128, Source(f"{kconfig.path} (CONFIG_BOOT_MAX_IMG_SECTORS absent: Kconfig default 128)"))


@dataclass(frozen=True)
class McubootPaths:
    build_dir: Path
    hex_path: Path | None
    elf_path: Path | None


def mcuboot_config(kconfig: KconfigFile, ctx: PathContext, paths: McubootPaths) -> McubootConfig:
    enc = key_list(kconfig, "CONFIG_BOOT_ENCRYPTION_KEY_FILE", ctx)
    revert = kconfig.flag("CONFIG_BOOT_DIRECT_XIP_REVERT") or kconfig.flag("CONFIG_BOOT_RAM_LOAD_REVERT")
    return McubootConfig(
        kconfig, paths.build_dir, paths.hex_path, paths.elf_path,
        _choice(kconfig, MCUBOOT_MODES), _flag(kconfig, "CONFIG_SINGLE_APPLICATION_SLOT"),
        _sig_type(kconfig, "CONFIG_"), _int(kconfig, "CONFIG_BOOT_SIGNATURE_TYPE_RSA_LEN", None),
        key_list(kconfig, "CONFIG_BOOT_SIGNATURE_KEY_FILE", ctx), _flag(kconfig, "CONFIG_BOOT_HW_KEY"),
        _flag(kconfig, "CONFIG_BOOT_ENCRYPT_IMAGE"), _encrypt_type(kconfig),
        _flag(kconfig, "CONFIG_BOOT_ENCRYPT_ALG_AES_256"), _flag(kconfig, "CONFIG_BOOT_SWAP_SAVE_ENCTLV"),
        enc[0] if enc else None, _max_sectors(kconfig),
        _flag(kconfig, "CONFIG_BOOT_MAX_IMG_SECTORS_AUTO"),
        _int(kconfig, "CONFIG_UPDATEABLE_IMAGE_NUMBER", 1),
        Val(revert, kconfig.source("CONFIG_BOOT_DIRECT_XIP_REVERT" if kconfig.flag(
            "CONFIG_BOOT_DIRECT_XIP_REVERT") else "CONFIG_BOOT_RAM_LOAD_REVERT")))


@dataclass(frozen=True)
class AppOptions:
    """The MCUboot-related options of an application image's ``.config``."""

    bootloader_mcuboot: Val[bool]
    rom_start_offset: Val[int]               # = image header size
    rom_end_offset: Val[int]
    flash_load_offset: Val[int | None]
    use_dt_code_partition: Val[bool]
    signature_keys: tuple[KeyRef, ...]
    encryption_key: KeyRef | None
    sign_version: Val[str]
    extra_imgtool_args: Val[str]
    overwrite_only: Val[bool]                # CONFIG_MCUBOOT_IMGTOOL_OVERWRITE_ONLY
    confirmed_image: Val[bool]
    mode: Val[UpgradeMode | None]
    kernel_bin_name: Val[str]


def app_options(kconfig: KconfigFile, ctx: PathContext) -> AppOptions:
    enc = key_list(kconfig, "CONFIG_MCUBOOT_ENCRYPTION_KEY_FILE", ctx)
    return AppOptions(
        _flag(kconfig, "CONFIG_BOOTLOADER_MCUBOOT"),
        Val(kconfig.integer("CONFIG_ROM_START_OFFSET", 0) or 0, kconfig.source("CONFIG_ROM_START_OFFSET")),
        Val(kconfig.integer("CONFIG_ROM_END_OFFSET", 0) or 0, kconfig.source("CONFIG_ROM_END_OFFSET")),
        _int(kconfig, "CONFIG_FLASH_LOAD_OFFSET", None),
        _flag(kconfig, "CONFIG_USE_DT_CODE_PARTITION"),
        key_list(kconfig, "CONFIG_MCUBOOT_SIGNATURE_KEY_FILE", ctx), enc[0] if enc else None,
        Val(kconfig.string("CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION", "0.0.0+0") or "0.0.0+0",
            kconfig.source("CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION")),
        Val(kconfig.string("CONFIG_MCUBOOT_EXTRA_IMGTOOL_ARGS", "") or "",
            kconfig.source("CONFIG_MCUBOOT_EXTRA_IMGTOOL_ARGS")),
        _flag(kconfig, "CONFIG_MCUBOOT_IMGTOOL_OVERWRITE_ONLY"),
        _flag(kconfig, "CONFIG_MCUBOOT_GENERATE_CONFIRMED_IMAGE"),
        _choice(kconfig, APP_MODES),
        Val(kconfig.string("CONFIG_KERNEL_BIN_NAME", "zephyr") or "zephyr",
            kconfig.source("CONFIG_KERNEL_BIN_NAME")))
