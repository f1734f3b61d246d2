"""Slot sizes per MCUboot mode, placed in a region of the code flash (and an
optional secondary flash). Used by ``planner.plan_layout``.

Entry point: ``shape_slots(SlotShape) -> (partitions, notes)``. Slots are
whole sectors of one size: swap-using-move and swap-using-offset need that
(swap_move.c / swap_offset.c boot_slots_compatible compare sector by sector
and assume a constant size), and equal-sized sectors keep the other modes'
slots compatible too; sectors of another size before the run stay free.
"""

from __future__ import annotations

from dataclasses import dataclass

from zephyr_ota.errors import LayoutError, UsageError
from zephyr_ota.layout.budget import slot_labels
from zephyr_ota.layout.model import FlashGeometry, Partition, UpgradeMode


@dataclass(frozen=True)
class SlotShape:
    mode: UpgradeMode
    flash: FlashGeometry
    start: int                       # region for slots and scratch in ``flash``
    end: int
    images: int = 1
    secondary: FlashGeometry | None = None
    scratch_size: int | None = None
    loader_size: int = 0


def _uniform_run(shape: SlotShape, notes: list[str]) -> tuple[int, int, int]:
    """(start, sector size, count) of the trailing run of equal sectors in the region."""
    sizes = shape.flash.sectors_in(shape.start, shape.end)
    sector = sizes[-1]
    count = 0
    for s in reversed(sizes):
        if s != sector:
            break
        count += 1
    run_start = shape.end - count * sector
    if run_start > shape.start:
        notes.append(f"[{shape.start:#x}, {run_start:#x}) left free: its sectors differ from the "
                     f"{sector:#x}-byte sectors the slots use")
    return run_start, sector, count


def _pair_sectors(mode: UpgradeMode, per: int, external: bool) -> tuple[int, int]:
    """(primary, secondary) sector counts from ``per`` sectors available to one image
    (all of them for the primary when the secondary is on another flash)."""
    if external:
        delta = {UpgradeMode.SWAP_USING_MOVE: -1, UpgradeMode.SWAP_USING_OFFSET: 1}.get(mode, 0)
        return per, per + delta
    if mode is UpgradeMode.SWAP_USING_MOVE:
        secondary = (per - 1) // 2
        return secondary + 1, secondary        # primary one sector larger (the move sector)
    if mode is UpgradeMode.SWAP_USING_OFFSET:
        primary = (per - 1) // 2
        return primary, primary + 1            # secondary one sector larger (the offset sector)
    return per // 2, per // 2


def _scratch_sectors(shape: SlotShape, sector: int, notes: list[str]) -> int:
    if shape.mode is not UpgradeMode.SWAP_USING_SCRATCH:
        if shape.scratch_size:
            raise UsageError(f"--scratch-size: mode {shape.mode.value} has no scratch area")
        return 0
    largest = max(sector, shape.secondary.erase_block if shape.secondary else 0)
    if shape.scratch_size is None:
        notes.append(f"scratch_partition: {largest:#x} bytes, the largest sector of the "
                     "slots (swap_scratch.c boot_slots_compatible: scratch must hold it)")
        return largest // sector
    if shape.scratch_size < largest:
        raise UsageError(f"--scratch-size: expected at least the largest slot sector "
                         f"{largest:#x}, got {shape.scratch_size:#x}")
    count = -(-shape.scratch_size // sector)
    if count * sector != shape.scratch_size:
        notes.append(f"scratch_partition: rounded up from {shape.scratch_size:#x} to "
                     f"{count * sector:#x} (whole sectors)")
    return count


def _check_secondary(shape: SlotShape, sector: int) -> int:
    ext = shape.secondary
    assert ext is not None
    ext_sector = ext.erase_block
    if shape.mode is UpgradeMode.DIRECT_XIP and ext.base_address is None:
        raise LayoutError(f"direct-xip: secondary flash {ext.name} is not memory-mapped; "
                          "MCUboot runs the image in place from either slot",
                          hint="use ram-load or an overwrite/swap mode for external slots")
    if ext.sectors and len(set(ext.sectors)) > 1:
        raise LayoutError(f"{ext.name}: a secondary flash with mixed sector sizes is not supported")
    if shape.mode in (UpgradeMode.SWAP_USING_MOVE, UpgradeMode.SWAP_USING_OFFSET) \
            and ext_sector != sector:
        raise LayoutError(
            f"{shape.mode.value}: secondary flash {ext.name} sectors are {ext_sector:#x}, the "
            f"primary's {sector:#x} (swap_{shape.mode.name[11:].lower()}.c: 'Cannot upgrade: "
            "not same sector layout')", hint="use swap-using-scratch, or give the external "
            "flash's layout page size equal to the internal sector size")
    if sector % ext_sector and ext_sector % sector:
        raise LayoutError(f"{ext.name}: sector size {ext_sector:#x} and {sector:#x} are not "
                          "multiples of each other (swap_scratch.c boot_slots_compatible)")
    return ext_sector


def _loader(shape: SlotShape, start: int, sector: int, count: int) -> list[Partition]:
    loader = -(-shape.loader_size // sector) if shape.loader_size else 0
    app = count - loader
    if app <= 0:
        raise LayoutError(f"firmware-loader: loader of {shape.loader_size:#x} leaves no room")
    parts = [Partition("slot0_partition", start, app * sector, shape.flash.name, name="image-0")]
    if loader:
        parts.append(Partition("slot1_partition", start + app * sector, loader * sector,
                               shape.flash.name, name="image-1"))
    return parts


def shape_slots(shape: SlotShape) -> tuple[tuple[Partition, ...], list[str]]:
    """Image slots (and scratch) for ``shape``; notes say what was left free and why."""
    notes: list[str] = []
    start, sector, count = _uniform_run(shape, notes)
    if shape.mode is UpgradeMode.FIRMWARE_LOADER:
        if shape.secondary is not None:
            raise UsageError("firmware-loader: the loader slot lives in the code flash; "
                             "drop --secondary-flash")
        return tuple(_loader(shape, start, sector, count)), notes
    scratch = _scratch_sectors(shape, sector, notes)
    external = shape.secondary is not None
    if external:
        _check_secondary(shape, sector)
    per = (count - scratch) // shape.images
    primary, secondary = _pair_sectors(shape.mode, per, external)
    if external and shape.secondary is not None and shape.secondary.erase_block > sector:
        unit = shape.secondary.erase_block // sector     # slots in whole external sectors
        primary = secondary = primary // unit * unit
    if min(primary, secondary) < 2:
        raise LayoutError(f"{shape.flash.name}: {count} sectors of {sector:#x} are too few for "
                          f"{shape.images} image pair(s) in {shape.mode.value}")
    parts: list[Partition] = []
    pos, ext_pos = start, 0
    for image in range(shape.images):
        p_label, s_label = slot_labels(image)
        parts.append(Partition(p_label, pos, primary * sector, shape.flash.name,
                               name=f"image-{2 * image}"))
        pos += primary * sector
        if external:
            assert shape.secondary is not None
            parts.append(Partition(s_label, ext_pos, secondary * sector, shape.secondary.name,
                                   name=f"image-{2 * image + 1}"))
            ext_pos += secondary * sector
        else:
            parts.append(Partition(s_label, pos, secondary * sector, shape.flash.name,
                                   name=f"image-{2 * image + 1}"))
            pos += secondary * sector
    if scratch:
        parts.append(Partition("scratch_partition", pos, scratch * sector, shape.flash.name,
                               name="image-scratch"))
        pos += scratch * sector
    if external and shape.secondary is not None and ext_pos > shape.secondary.size:
        raise LayoutError(f"{shape.secondary.name}: secondary slots need {ext_pos:#x} bytes, "
                          f"the flash has {shape.secondary.size:#x}")
    if pos < shape.end:
        notes.append(f"[{pos:#x}, {shape.end:#x}) left free ({shape.end - pos} bytes): "
                     "the mode's slot shapes leave it over")
    return tuple(parts), notes
