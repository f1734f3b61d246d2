"""Validate an existing partition layout against an MCUboot mode (``--check``).

Entry points: ``CheckOptions`` -> ``check_layout(layout, options,
dt_findings=()) -> CheckResult`` (falsy when any error was found). Each rule
is a pure function returning ``Finding``s: node path, what is wrong, and the
fix. Nothing here prints or raises for a broken layout.

Rules and their sources:
* partitions past the end of their flash, overlapping partitions (Zephyr has
  no build-time check for either);
* erase alignment: every partition starts and ends on a sector boundary
  (flash_area_erase works on whole sectors);
* the partitions MCUboot opens (boot/zephyr/include/sysflash/sysflash.h:
  slot0..slot(2N+1)_partition, scratch_partition) and the chosen
  ``zephyr,code-partition`` = slot0_partition;
* slot shapes, sector compatibility and the trailer per mode
  (``zephyr_ota.layout.budget``: swap_*.c boot_slots_compatible,
  bootutil_area.c, bootutil_misc.c);
* sector count vs CONFIG_BOOT_MAX_IMG_SECTORS, honouring
  CONFIG_BOOT_MAX_IMG_SECTORS_AUTO (on by default: MCUboot then sizes it from
  the slots and a board's fixed value does not apply);
* scratch: holds the largest sector swapped (swap_scratch.c
  boot_slots_compatible), lives in internal flash (required with encryption:
  the scratch holds decrypted sectors, docs/design.md "Encrypted images");
* the reader's findings, e.g. a ``zephyr,mapped-partition`` whose parents
  lack ``ranges`` (dts/bindings/mtd/zephyr,mapped-partition.yaml).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from zephyr_ota.errors import LayoutError
from zephyr_ota.layout.budget import (
    DEFAULT_HEADER_SIZE,
    Budget,
    Encryption,
    compute_budget,
    matched_chunks,
    request_for_image,
    slot_labels,
)
from zephyr_ota.layout.model import Layout, Partition, UpgradeMode


@dataclass(frozen=True)
class Finding:
    """One violation: where, what, how to fix it."""

    code: str
    node_path: str
    message: str
    fix: str = ""
    severity: str = "error"            # "error", "warning" or "note"

    def __str__(self) -> str:
        text = f"{self.node_path}: {self.message}"
        return text + (f"\n  Fix: {self.fix}" if self.fix else "")


@dataclass(frozen=True)
class CheckOptions:
    mode: UpgradeMode
    max_img_sectors: int | None = None     # CONFIG_BOOT_MAX_IMG_SECTORS of MCUboot
    max_img_sectors_auto: bool = True      # CONFIG_BOOT_MAX_IMG_SECTORS_AUTO (default y)
    encryption: Encryption = Encryption.NONE
    header_size: int = DEFAULT_HEADER_SIZE
    require_bootloader: bool = True


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...]
    budgets: tuple[Budget, ...] = field(default=())

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    def __bool__(self) -> bool:
        return not self.errors


def _where(p: Partition) -> str:
    return p.node_path or p.label


def check_bounds(layout: Layout) -> list[Finding]:
    """Partitions that end past their flash device."""
    out = []
    for p in layout.partitions:
        flash = layout.flash(p.flash)
        if p.end > flash.size:
            out.append(Finding("past-end", _where(p),
                               f"{p.label} [{p.offset:#x}, {p.end:#x}) ends past the end of "
                               f"{flash.name} (size {flash.size:#x}) by {p.end - flash.size:#x}",
                               f"shrink it to {max(flash.size - p.offset, 0):#x} bytes or move it"))
    return out


def _nested(a: Partition, b: Partition) -> bool:
    return bool(a.container and a.container == b.label or b.container and b.container == a.label)


def check_overlaps(layout: Layout) -> list[Finding]:
    """Partitions of one flash that share bytes (a container and its subpartitions may)."""
    out = []
    parts = sorted(layout.partitions, key=lambda p: (p.flash, p.offset, p.end))
    for i, a in enumerate(parts):
        for b in parts[i + 1:]:
            if b.flash != a.flash or b.offset >= a.end:
                continue
            if _nested(a, b):
                continue
            out.append(Finding("overlap", _where(b),
                               f"{b.label} [{b.offset:#x}, {b.end:#x}) overlaps {a.label} "
                               f"[{a.offset:#x}, {a.end:#x}) by {min(a.end, b.end) - b.offset:#x} "
                               "bytes", f"start {b.label} at {a.end:#x} or shrink {a.label} to "
                               f"{b.offset - a.offset:#x}"))
    return out


def check_alignment(layout: Layout) -> list[Finding]:
    """Partition edges on erase-sector boundaries."""
    out = []
    for p in layout.partitions:
        flash = layout.flash(p.flash)
        bounds = flash.sector_bounds()
        if p.end > flash.size:
            continue                      # reported by check_bounds
        bset = set(bounds)
        bad = [(what, v) for what, v in (("start", p.offset), ("end", p.end)) if v not in bset]
        # Only partitions erased at run time must be: MCUboot never erases its own
        # partition, and read-only ones (RP2040's boot2) are never erased.
        severity = "warning" if p.read_only or p.label == "boot_partition" else "error"
        for what, value in bad:
            below = max(b for b in bounds if b <= value)
            out.append(Finding("misaligned", _where(p),
                               f"{p.label} {what} {value:#x} is not on an erase-sector boundary "
                               f"of {flash.name} (sector {flash.erase_block:#x})",
                               f"use {below:#x} or {min(b for b in bounds if b >= value):#x}",
                               severity))
    return out


def check_required(layout: Layout, opts: CheckOptions) -> list[Finding]:
    """The partitions MCUboot opens, and the chosen code partition."""
    out = []
    if opts.require_bootloader and layout.partition("boot_partition") is None:
        out.append(Finding("missing", "/", "no boot_partition for MCUboot",
                           "add a partition labelled boot_partition at the start of the flash"))
    if layout.partition("slot0_partition") is None:
        out.append(Finding("missing", "/", "no slot0_partition (MCUboot's primary slot)",
                           "add slot0_partition"))
    needs_secondary = opts.mode is not UpgradeMode.FIRMWARE_LOADER
    if needs_secondary and layout.partition("slot1_partition") is None:
        out.append(Finding("missing", "/", f"{opts.mode.value} needs slot1_partition "
                           "(the secondary slot)", "add slot1_partition"))
    if opts.mode is UpgradeMode.SWAP_USING_SCRATCH and layout.partition("scratch_partition") is None:
        out.append(Finding("missing", "/", "swap-using-scratch needs scratch_partition",
                           "add scratch_partition holding the largest slot sector"))
    code = layout.partition(layout.code_partition) if layout.code_partition else None
    # TF-M boards run the non-secure image from a subpartition of slot0 (slot0_ns_partition)
    in_slot0 = code is not None and (code.label == "slot0_partition"
                                     or code.container == "slot0_partition")
    if not in_slot0:
        found = layout.code_partition or "nothing"
        out.append(Finding("code-partition", "/chosen",
                           f"zephyr,code-partition is {found}, expected slot0_partition",
                           "chosen { zephyr,code-partition = &slot0_partition; };"))
    return out


def image_count(layout: Layout) -> int:
    count = 0
    while layout.partition(slot_labels(count)[0]) is not None:
        count += 1
    return count


def check_mode(layout: Layout, opts: CheckOptions) -> tuple[list[Finding], list[Budget]]:
    """Slot shapes, sector compatibility, trailer and sector counts, per image."""
    out: list[Finding] = []
    budgets: list[Budget] = []
    fixed = None if opts.max_img_sectors_auto else opts.max_img_sectors
    for image in range(image_count(layout)):
        primary = layout.partition(slot_labels(image)[0])
        assert primary is not None
        try:
            req = request_for_image(layout, opts.mode, image, max_img_sectors=fixed,
                                    encryption=opts.encryption, header_size=opts.header_size)
            budgets.append(compute_budget(req))
        except LayoutError as e:
            out.append(Finding("mode-rule", _where(primary), str(e), e.hint or ""))
    return out, budgets


def check_scratch(layout: Layout, opts: CheckOptions) -> list[Finding]:
    scratch = layout.partition("scratch_partition")
    if opts.mode is not UpgradeMode.SWAP_USING_SCRATCH or scratch is None:
        return []
    out = []
    flash = layout.flash(scratch.flash)
    if flash.external:
        severity = "error" if opts.encryption is not Encryption.NONE else "warning"
        out.append(Finding("scratch-external", _where(scratch),
                           f"scratch_partition is on external flash {flash.name}"
                           + (" while images are encrypted: decrypted sectors would leave the chip"
                              if severity == "error" else ""),
                           "move scratch_partition to internal flash", severity))
    for image in range(image_count(layout)):
        try:
            chunks = matched_chunks(request_for_image(layout, opts.mode, image,
                                                      header_size=opts.header_size))
        except LayoutError:
            continue                          # reported by check_mode
        if chunks and max(chunks) > scratch.size:
            out.append(Finding("scratch-size", _where(scratch),
                               f"scratch_partition holds {scratch.size:#x} bytes, image {image} "
                               f"swaps {max(chunks):#x} at a time",
                               f"make scratch_partition at least {max(chunks):#x} bytes"))
    return out


def check_xip(layout: Layout, opts: CheckOptions) -> list[Finding]:
    """direct-xip runs the image in place from either slot: both must be memory-mapped."""
    if opts.mode is not UpgradeMode.DIRECT_XIP:
        return []
    out = []
    for p in layout.partitions:
        if p.label.startswith("slot") and p.label.endswith("_partition") \
                and layout.flash(p.flash).base_address is None:
            out.append(Finding("xip-not-mapped", _where(p), f"{p.label} is on "
                               f"{p.flash}, which is not memory-mapped; direct-xip executes "
                               "from it", "use ram-load, or place the slot in mapped flash"))
    return out


def findings_from_reader(dt_findings: Iterable[object]) -> list[Finding]:
    """Turn the devicetree reader's findings (code, node_path, message) into ours."""
    out = []
    for f in dt_findings:
        code = getattr(f, "code", "devicetree")
        fix = "add 'ranges;' to every parent node up to the root" \
            if "ranges" in code else ""
        node = getattr(f, "node_path", "/")
        message = getattr(f, "message", str(f))
        message = message.split(f"{node}: ", 1)[-1]       # the reader names file and node first
        out.append(Finding(code, node, message, fix))
    return out


def check_layout(layout: Layout, opts: CheckOptions,
                 dt_findings: Iterable[object] = ()) -> CheckResult:
    """Every rule for ``opts.mode``; the result is falsy when any error was found."""
    findings = findings_from_reader(dt_findings)
    findings += check_bounds(layout)
    findings += check_overlaps(layout)
    findings += check_alignment(layout)
    findings += check_required(layout, opts)
    budgets: list[Budget] = []
    if not any(f.code in ("past-end", "misaligned") and f.severity == "error" for f in findings):
        mode_findings, budgets = check_mode(layout, opts)
        findings += mode_findings
        findings += check_scratch(layout, opts)
        findings += check_xip(layout, opts)
    if opts.max_img_sectors_auto and opts.max_img_sectors is not None:
        findings.append(Finding("max-img-sectors", "/", f"CONFIG_BOOT_MAX_IMG_SECTORS="
                                f"{opts.max_img_sectors} is not used: "
                                "CONFIG_BOOT_MAX_IMG_SECTORS_AUTO=y sizes it from the slots",
                                severity="note"))
    if not opts.max_img_sectors_auto and opts.max_img_sectors is None:
        findings.append(Finding("max-img-sectors", "/", "CONFIG_BOOT_MAX_IMG_SECTORS_AUTO is off "
                                "but no CONFIG_BOOT_MAX_IMG_SECTORS was given",
                                "pass --max-sectors N", "warning"))
    return CheckResult(tuple(findings), tuple(budgets))

