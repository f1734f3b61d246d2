"""What ``zephyr-ota layout`` / ``west ota-layout`` do, behind one typed request.

Entry points: ``LayoutCommand`` (frozen; the options) -> ``run(cmd)`` ->
``LayoutOutcome`` (lines for a person, a JSON-able summary, the exit code,
the files written). Reads the devicetree through ``zephyr_ota.zephyr``,
plans/checks/migrates with this package's core, renders through
``zephyr_ota.render`` and writes with ``fileio.atomic_write``; it never
prints (defaults are logged, the adapter prints the outcome).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zephyr_ota.errors import InputError, UsageError
from zephyr_ota.layout.budget import Budget, Encryption
from zephyr_ota.layout.checks import CheckOptions, CheckResult, Finding
from zephyr_ota.layout.model import Layout, UpgradeMode

log = logging.getLogger(__name__)

DEFAULT_MODE = UpgradeMode.SWAP_USING_OFFSET


@dataclass(frozen=True)
class LayoutCommand:
    dts: str | None = None
    build_dir: str | None = None
    mode: str | None = None
    check: bool = False
    from_pm: str | None = None
    style: str = "auto"
    out_dir: str = "ota-layout"
    geometry: str | None = None
    board: str | None = None
    images: int = 1
    bootloader_size: int | None = None
    signature: str = "ecdsa-p256"
    storage_size: int | None = None
    scratch_size: int | None = None
    loader_size: int = 0
    secondary_flash: str | None = None
    encrypt: str = "none"
    max_sectors: int | None = None
    header_size: int = 0x200

    def __post_init__(self) -> None:
        if (self.dts is None) == (self.build_dir is None):
            raise UsageError("layout: give a devicetree file (DTS) or a build directory (-d), "
                             "not both" if self.dts else
                             "layout: give a devicetree file (DTS) or a build directory (-d)")
        if self.check and self.from_pm:
            raise UsageError("layout: --check and --from-pm exclude each other")
        if self.max_sectors is not None and self.max_sectors <= 0:
            raise UsageError(f"--max-sectors: expected a positive count, got {self.max_sectors}")


@dataclass(frozen=True)
class LayoutOutcome:
    lines: tuple[str, ...]
    summary: dict[str, Any]
    exit_code: int = 0
    written: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Source:
    layout: Layout
    findings: tuple[object, ...]
    chosen_flash: str | None
    style: str | None
    board: str
    mcuboot: Any = None                      # zephyr.configs.McubootConfig or None
    dts_path: str = ""                       # the devicetree the layout came from


def _load(cmd: LayoutCommand) -> _Source:
    from zephyr_ota.zephyr.devicetree import FLASH_COMPATS

    src = _read_source(cmd)
    if not src.layout.flashes:
        raise InputError(f"{src.dts_path}: expected a flash device (compatible "
                         f"{', '.join(FLASH_COMPATS)}), found none",
                         hint="is this the board's devicetree? give --geometry for a "
                              "flash the devicetree does not describe")
    return src


def _read_source(cmd: LayoutCommand) -> _Source:
    from zephyr_ota.zephyr.geometry_yaml import load_geometry_yaml

    geometry = load_geometry_yaml(cmd.geometry) if cmd.geometry else None
    if cmd.dts is not None:
        from zephyr_ota.zephyr.devicetree import load_devicetree

        info = load_devicetree(cmd.dts, geometry=geometry)
        return _Source(info.layout, info.findings, info.chosen_flash, info.style,
                       cmd.board or Path(cmd.dts).stem, dts_path=info.path)
    from zephyr_ota.zephyr.builddir import read_build_dir

    build = read_build_dir(cmd.build_dir or "build", geometry)
    info = build.mcuboot_devicetree or build.app.devicetree
    board = cmd.board or (build.app.board or Path(build.path).name).replace("/", "_")
    return _Source(info.layout, info.findings, info.chosen_flash, info.style, board,
                   build.mcuboot, info.path)


def _mode(cmd: LayoutCommand, src: _Source) -> UpgradeMode:
    if cmd.mode is not None:
        return UpgradeMode(cmd.mode)
    built = getattr(getattr(src.mcuboot, "mode", None), "value", None)
    if built is not None:
        log.info("default: --mode %s (MCUboot's .config)", built.value)
        return UpgradeMode(built)
    log.info("default: --mode %s (sysbuild's default MCUboot mode since Zephyr 4.3)",
             DEFAULT_MODE.value)
    return DEFAULT_MODE


def _style(cmd: LayoutCommand, src: _Source) -> str:
    if cmd.style != "auto":
        return cmd.style
    style = "mapped" if src.style == "zephyr,mapped-partition" else "fixed"
    log.info("default: --style %s (the style %s writes its partitions in)", style, src.board)
    return style


def _sectors(cmd: LayoutCommand, src: _Source) -> tuple[int | None, bool]:
    """(CONFIG_BOOT_MAX_IMG_SECTORS, AUTO): --max-sectors means a fixed value."""
    if cmd.max_sectors is not None:
        return cmd.max_sectors, False
    if src.mcuboot is not None:
        return src.mcuboot.max_img_sectors.value, bool(src.mcuboot.max_img_sectors_auto.value)
    return None, True


def _encryption(cmd: LayoutCommand, src: _Source) -> Encryption:
    if cmd.encrypt != "none" or src.mcuboot is None or not src.mcuboot.encrypt.value:
        return Encryption(cmd.encrypt)
    return Encryption.AES256 if src.mcuboot.aes256.value else Encryption.AES128


def _flash_named(layout: Layout, name: str | None) -> str | None:
    if name is None:
        return None
    for f in layout.flashes:
        if f.name == name or f.name.endswith("/" + name) or f.name.rsplit("/", 1)[-1].split("@")[0] == name:
            return f.name
    known = ", ".join(f.name for f in layout.flashes)
    raise UsageError(f"--secondary-flash: no flash {name} in the devicetree; known: {known}")


def _options(cmd: LayoutCommand, src: _Source, mode: UpgradeMode) -> CheckOptions:
    sectors, auto = _sectors(cmd, src)
    return CheckOptions(mode, max_img_sectors=sectors, max_img_sectors_auto=auto,
                        encryption=_encryption(cmd, src), header_size=cmd.header_size)


def run(cmd: LayoutCommand) -> LayoutOutcome:
    """Check, migrate or plan, as ``cmd`` asks."""
    from zephyr_ota.layout import command_steps as steps

    src = _load(cmd)
    mode = _mode(cmd, src)
    opts = _options(cmd, src, mode)
    if cmd.check:
        return steps.check(src.layout, opts, src.findings)
    style = _style(cmd, src)
    if cmd.from_pm:
        return steps.migrate(cmd, src, opts, style)
    return steps.plan(cmd, src, opts, style)


def finding_lines(findings: tuple[Finding, ...]) -> list[str]:
    out = []
    for f in findings:
        out.append(f"{f.severity}: {f.node_path}: {f.message}")
        if f.fix:
            out.append(f"  Fix: {f.fix}")
    return out


def partition_lines(layout: Layout) -> list[str]:
    out = [f"{'partition':<20} {'flash':<24} {'start':<10} {'end':<10} size"]
    order = [f.name for f in layout.flashes]
    for p in sorted(layout.partitions, key=lambda q: (order.index(q.flash), q.offset)):
        out.append(f"{p.label:<20} {p.flash.rsplit('/', 1)[-1]:<24} {p.offset:<#10x} "
                   f"{p.end:<#10x} {p.size:#x}")
    return out


def budget_summary(budgets: tuple[Budget, ...]) -> list[dict[str, Any]]:
    return [{"image": i, "mode": b.mode.value, "slot_size": b.slot_size,
             "secondary_slot_size": b.secondary_slot_size, "trailer_size": b.trailer_size,
             "spare_sector": b.spare_sector, "max_image_size": b.max_image_size,
             "imgtool_max_image_size": b.imgtool_max_image_size,
             "max_img_sectors": b.max_img_sectors} for i, b in enumerate(budgets)]


def result_summary(result: CheckResult) -> list[dict[str, str]]:
    return [{"code": f.code, "node": f.node_path, "message": f.message, "fix": f.fix,
             "severity": f.severity} for f in result.findings]


def layout_summary(layout: Layout) -> list[dict[str, Any]]:
    return [{"label": p.label, "flash": p.flash, "offset": p.offset, "size": p.size}
            for p in layout.partitions]

