"""The three actions of ``zephyr-ota layout``: ``check``, ``migrate`` (from
Partition Manager) and ``plan``; each returns a ``LayoutOutcome``. Called by
``zephyr_ota.layout.command.run``; files are rendered completely before the
first one is written, and nothing is written when a rule fails.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zephyr_ota.errors import LayoutError
from zephyr_ota.fileio import atomic_write, read_input
from zephyr_ota.layout.checks import CheckOptions, CheckResult, check_layout
from zephyr_ota.layout.command import (
    LayoutCommand,
    LayoutOutcome,
    _flash_named,
    _Source,
    budget_summary,
    finding_lines,
    layout_summary,
    partition_lines,
    result_summary,
)
from zephyr_ota.layout.kconfig_values import KconfigInputs, kconfig_for
from zephyr_ota.layout.model import Layout, UpgradeMode

if TYPE_CHECKING:
    from zephyr_ota.layout.pm_import import Migration

log = logging.getLogger(__name__)


def _budget_lines(result: CheckResult) -> list[str]:
    out = []
    for image, b in enumerate(result.budgets):
        out.append(f"image {image}: max image size {b.max_image_size} bytes (header + code + "
                   f"TLVs) in a {b.slot_size:#x} slot; trailer {b.trailer_size} bytes"
                   + (f", spare sector {b.spare_sector:#x}" if b.spare_sector else ""))
    return out


def check(layout: Layout, opts: CheckOptions, dt_findings: tuple[object, ...]) -> LayoutOutcome:
    result = check_layout(layout, opts, dt_findings)
    lines = [*partition_lines(layout), "", *finding_lines(result.findings), *_budget_lines(result)]
    errors = len(result.errors)
    warnings = sum(f.severity == "warning" for f in result.findings)
    lines.append(f"{opts.mode.value}: {errors} error(s), {warnings} warning(s)" if errors or warnings
                 else f"{opts.mode.value}: layout OK")
    summary = {"mode": opts.mode.value, "ok": bool(result), "findings": result_summary(result),
               "budgets": budget_summary(result.budgets), "partitions": layout_summary(layout)}
    return LayoutOutcome(tuple(lines), summary, 0 if result else 1)


def _write(out_dir: str, files: dict[str, str]) -> tuple[str, ...]:
    written = []
    for rel, text in files.items():
        path = Path(out_dir) / rel
        atomic_write(path, text.encode("utf-8"))
        written.append(str(path))
    return tuple(written)


def _kconfig(layout: Layout, opts: CheckOptions, result: CheckResult, images: int) -> Any:
    b = result.budgets[0]
    single = opts.mode is UpgradeMode.FIRMWARE_LOADER and layout.partition("slot1_partition") is None
    fixed = None if opts.max_img_sectors_auto else opts.max_img_sectors
    return kconfig_for(KconfigInputs(
        opts.mode, images, fixed, opts.header_size, b.slot_size - b.max_image_size,
        opts.encryption.value != "none", single, opts.encryption.value == "aes256"))


def _render(mode: UpgradeMode, src: _Source, style: str, layout: Layout, result: CheckResult,
            kconfig: Any, notes: tuple[str, ...], migration: Migration | None) -> dict[str, str]:
    from zephyr_ota.render import LayoutRender, layout_files

    title = "MCUboot partitions migrated from Partition Manager" if migration else \
        "MCUboot partition layout"
    return layout_files(LayoutRender(
        layout, mode.value, src.board, style, kconfig,
        result.budgets, notes, tuple(f for f in result.findings if f.severity != "error"),
        migration, title))


def _refused(result: CheckResult, layout: Layout, what: str) -> LayoutOutcome:
    lines = [*partition_lines(layout), "", *finding_lines(result.findings),
             f"{what}: {len(result.errors)} error(s); nothing written"]
    return LayoutOutcome(tuple(lines), {"ok": False, "findings": result_summary(result),
                                        "partitions": layout_summary(layout)}, 1)


def migrate(cmd: LayoutCommand, src: _Source, opts: CheckOptions, style: str) -> LayoutOutcome:
    from zephyr_ota.layout.pm_import import parse_pm, pm_to_layout
    from zephyr_ota.yamlio import yaml_text

    assert cmd.from_pm is not None
    text = yaml_text(cmd.from_pm, read_input(cmd.from_pm, "Partition Manager file"))
    pm = parse_pm(text, cmd.from_pm)
    flashes = src.layout.flashes
    internal = src.chosen_flash or next((f.name for f in flashes if not f.external), None)
    if internal is None:
        raise LayoutError(f"{cmd.dts or cmd.build_dir}: no internal flash for flash_primary")
    external = _flash_named(src.layout, cmd.secondary_flash) or \
        next((f.name for f in flashes if f.external), None)
    mig = pm_to_layout(pm, flashes, internal, external)
    images = sum(1 for p in mig.layout.partitions if p.label.startswith("slot")
                 and int(p.label[4:-10]) % 2 == 0)
    result = check_layout(mig.layout, opts)
    if not result or not result.budgets:
        return _refused(result, mig.layout, f"{cmd.from_pm} as {opts.mode.value}")
    kconfig = _kconfig(mig.layout, opts, result, images)
    files = _render(opts.mode, src, style, mig.layout, result, kconfig, mig.notes, mig)
    written = _write(cmd.out_dir, files)
    lines = ["Partition Manager -> devicetree:"]
    for f in mig.fates:
        lines.append(f"  {f.pm.name:<24} {f.pm.region:<15} {f.pm.address:#010x} {f.pm.size:#09x} "
                     f"-> {f.label or '- (' + f.reason + ')'}")
    lines += ["", *partition_lines(mig.layout), *_budget_lines(result),
              *finding_lines(result.findings), *(f"wrote {w}" for w in written)]
    summary = {"mode": opts.mode.value, "ok": True, "partitions": layout_summary(mig.layout),
               "budgets": budget_summary(result.budgets), "files": list(written),
               "pm": [{"name": f.pm.name, "label": f.label, "reason": f.reason} for f in mig.fates]}
    return LayoutOutcome(tuple(lines), summary, 0, written)


def plan(cmd: LayoutCommand, src: _Source, opts: CheckOptions, style: str) -> LayoutOutcome:
    from zephyr_ota.layout.budget import Encryption
    from zephyr_ota.layout.planner import PlanRequest, keepable, plan_layout

    req = PlanRequest(
        src.layout.flashes, opts.mode, flash=src.chosen_flash, images=cmd.images,
        bootloader_size=cmd.bootloader_size, signature=cmd.signature,
        storage_size=cmd.storage_size, scratch_size=cmd.scratch_size,
        secondary_flash=_flash_named(src.layout, cmd.secondary_flash),
        encryption=Encryption(opts.encryption),
        max_img_sectors=None if opts.max_img_sectors_auto else opts.max_img_sectors,
        header_size=cmd.header_size, loader_size=cmd.loader_size,
        keep=tuple(p for p in src.layout.partitions if keepable(p)))
    planned = plan_layout(req)
    code = src.layout.partition(src.layout.code_partition or "")
    if code is not None and code.container:
        log.warning("%s runs from %s inside %s (TF-M); the overlay writes the slots without "
                    "their subpartitions and chooses slot0_partition: re-add them",
                    src.board, code.label, code.container)
    result = check_layout(planned.layout, opts)
    if not result:                     # a planner bug: say so rather than write it
        return _refused(result, planned.layout, "planned layout")
    files = _render(opts.mode, src, style, planned.layout, result, planned.kconfig, planned.notes, None)
    written = _write(cmd.out_dir, files)
    lines = [*partition_lines(planned.layout), *_budget_lines(result), "",
             *planned.kconfig.lines("sysbuild"), *planned.kconfig.lines("mcuboot"),
             *planned.kconfig.lines("app"), "", *(f"wrote {w}" for w in written)]
    summary = {"mode": opts.mode.value, "ok": True, "partitions": layout_summary(planned.layout),
               "budgets": budget_summary(planned.budgets), "notes": list(planned.notes),
               "kconfig": {k: dict(getattr(planned.kconfig, k))
                           for k in ("mcuboot", "app", "sysbuild")},
               "files": list(written)}
    return LayoutOutcome(tuple(lines), summary, 0, written)
