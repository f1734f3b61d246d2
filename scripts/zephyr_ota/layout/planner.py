"""Plan MCUboot partitions for a flash geometry and an upgrade mode.

Entry points: ``PlanRequest`` (frozen options) -> ``plan_layout(request)`` ->
``Plan`` (the ``Layout``, one ``Budget`` per image, the ``KconfigValues``
that must go with it, and every default taken as a note with its reason).

Placement in the internal (code) flash, low to high: ``boot_partition``;
``storage_partition`` right after it on flashes with mixed sector sizes
(their small sectors suit it, STM32F4-style), else at the end of flash; then
the image slots in a run of equal-size sectors; ``scratch_partition`` after
the slots. Slot shapes per mode (MCUboot docs/design.md and swap_*.c):

* swap-using-move: slot0 one sector larger than slot1 (the move sector);
* swap-using-offset: slot1 one sector larger than slot0 (the offset sector);
* swap-using-scratch: equal slots and a scratch area holding the largest
  sector, always in internal flash (required there when images are
  encrypted: the scratch holds plaintext, design.md "Encrypted images");
* overwrite-only, direct-xip, ram-load: equal slots;
* firmware-loader: slot0 for the application, slot1 for the loader image when
  ``loader_size`` is given, else a single application slot.

A secondary flash (``secondary_flash``, e.g. external QSPI NOR) takes the odd
slots from its offset 0; move and offset then need its sector size to equal
the internal one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from zephyr_ota.errors import LayoutError, UsageError
from zephyr_ota.layout.budget import (
    DEFAULT_HEADER_SIZE,
    Budget,
    Encryption,
    compute_budget,
    request_for_image,
    slot_labels,
)
from zephyr_ota.layout.kconfig_values import KconfigInputs, KconfigValues, kconfig_for
from zephyr_ota.layout.model import FlashGeometry, Layout, Partition, UpgradeMode
from zephyr_ota.layout.overlay_model import with_node_paths
from zephyr_ota.layout.slotshapes import SlotShape, shape_slots

log = logging.getLogger(__name__)

# Default MCUboot partition per signature type. Zephyr's nRF52840 boards give
# MCUboot 48 KiB (nrf52840_partition.dtsi: boot_partition 0xc000) for the
# default ECDSA-P256/Ed25519 build; RSA and P-384 pull in mbedTLS bignum code
# (about 16 KiB more); image encryption adds AES-CTR and the key-transport
# code, so another 16 KiB is reserved. Rounded up to whole erase sectors.
BOOTLOADER_DEFAULTS = {
    "none": 0x8000, "ed25519": 0xC000, "ecdsa-p256": 0xC000,
    "ecdsa-p384": 0x10000, "rsa-2048": 0x10000, "rsa-3072": 0x10000,
}
ENCRYPTION_EXTRA = 0x4000
# Zephyr's nRF boards keep 32 KiB of settings (storage_partition 0x8000);
# NVS/ZMS need at least two sectors to garbage-collect (Zephyr docs, NVS).
DEFAULT_STORAGE = 0x8000


@dataclass(frozen=True)
class PlanRequest:
    """What to plan. Sizes in bytes; ``None`` takes the documented default."""

    flashes: tuple[FlashGeometry, ...]
    mode: UpgradeMode
    flash: str | None = None               # code flash; default: the first internal one
    images: int = 1
    bootloader_size: int | None = None
    signature: str = "ecdsa-p256"
    storage_size: int | None = None
    scratch_size: int | None = None
    secondary_flash: str | None = None
    encryption: Encryption = Encryption.NONE
    max_img_sectors: int | None = None     # None: CONFIG_BOOT_MAX_IMG_SECTORS_AUTO
    header_size: int = DEFAULT_HEADER_SIZE
    loader_size: int = 0                   # firmware-loader: slot1 for the loader image
    keep: tuple[Partition, ...] = ()       # read-only partitions at the start of the code
    #                                        flash to keep (RP2040's boot2), MCUboot follows

    def __post_init__(self) -> None:
        if not self.flashes:
            raise UsageError("plan: no flash devices")
        if not 1 <= self.images <= 4:
            raise UsageError(f"--images: expected 1 to 4 image pairs, got {self.images}")
        if self.signature not in BOOTLOADER_DEFAULTS:
            raise UsageError(f"--signature: expected one of {', '.join(BOOTLOADER_DEFAULTS)}, "
                             f"got {self.signature}")
        for what, value in (("--bootloader-size", self.bootloader_size),
                            ("--storage-size", self.storage_size),
                            ("--scratch-size", self.scratch_size),
                            ("--loader-size", self.loader_size)):
            if value is not None and value < 0:
                raise UsageError(f"{what}: expected a size >= 0, got {value}")
        names = {f.name for f in self.flashes}
        for what, name in (("--flash", self.flash), ("--secondary-flash", self.secondary_flash)):
            if name is not None and name not in names:
                raise UsageError(f"{what}: no flash {name}; known: {', '.join(sorted(names))}")
        if self.mode is UpgradeMode.FIRMWARE_LOADER and self.images != 1:
            raise UsageError("firmware-loader: expected one image, got "
                             f"{self.images}")


@dataclass(frozen=True)
class Plan:
    """A planned layout with what must go with it."""

    mode: UpgradeMode
    layout: Layout
    budgets: tuple[Budget, ...]            # one per image, image 0 first
    kconfig: KconfigValues
    notes: tuple[str, ...] = field(default=())

    @property
    def max_image_size(self) -> int:
        """Image 0's maximum image size (header + code + TLVs)."""
        return self.budgets[0].max_image_size


def _round_up(bounds: tuple[int, ...], offset: int) -> int:
    for b in bounds:
        if b >= offset:
            return b
    raise LayoutError(f"flash: offset {offset:#x} is past the end of flash")


def _round_down(bounds: tuple[int, ...], offset: int) -> int:
    return max(b for b in bounds if b <= offset)


def _code_flash(req: PlanRequest) -> FlashGeometry:
    if req.flash is not None:
        return next(f for f in req.flashes if f.name == req.flash)
    internal = [f for f in req.flashes if not f.external]
    if not internal:
        raise UsageError("plan: no internal flash to hold MCUboot; name one with --flash")
    return internal[0]


def keepable(p: Partition) -> bool:
    """A board partition the planner keeps: read-only and not one it writes itself."""
    ours = p.label in ("boot_partition", "scratch_partition", "storage_partition") or \
        (p.label.startswith("slot") and p.label.endswith("_partition"))
    return p.read_only and not ours and not p.container


def _kept_end(req: PlanRequest, flash: FlashGeometry, notes: list[str]) -> int:
    end = 0
    for p in sorted((p for p in req.keep if p.flash == flash.name), key=lambda p: p.offset):
        if p.offset != end:
            break
        end = p.end
        notes.append(f"{p.label}: kept at [{p.offset:#x}, {p.end:#x}) (read-only, from the board)")
    return end


def _bootloader(req: PlanRequest, flash: FlashGeometry, notes: list[str]) -> Partition:
    start = _kept_end(req, flash, notes)
    size = req.bootloader_size
    if size is None:
        size = BOOTLOADER_DEFAULTS[req.signature]
        why = f"default for {req.signature} signatures (Zephyr's nRF boards reserve 0xc000 for ECDSA-P256)"
        if req.encryption is not Encryption.NONE:
            size += ENCRYPTION_EXTRA
            why += ", +0x4000 for image encryption"
        notes.append(f"boot_partition: {size:#x} bytes, {why}")
    end = _round_up(flash.sector_bounds(), start + size)
    if end != start + size:
        notes.append(f"boot_partition: ends at {end:#x}, the next erase-sector boundary")
    return Partition("boot_partition", start, end - start, flash.name, name="mcuboot")


def _storage(req: PlanRequest, flash: FlashGeometry, boot_end: int,
             notes: list[str]) -> Partition | None:
    bounds = flash.sector_bounds()
    size = req.storage_size
    if size == 0:
        return None
    mixed = bool(flash.sectors) and len(set(flash.sectors)) > 1
    if size is None:
        ref = flash.sectors[bounds.index(boot_end)] if mixed else flash.erase_block
        size = max(DEFAULT_STORAGE, 2 * ref) if not mixed else 2 * ref
        notes.append(f"storage_partition: {size:#x} bytes by default (settings: at least two "
                     "sectors, 32 KiB as on Zephyr's nRF boards)")
    if size >= flash.size - boot_end:
        raise LayoutError(f"{flash.name}: storage of {size:#x} bytes leaves no room for image "
                          f"slots in {flash.size - boot_end:#x} bytes after MCUboot")
    if mixed:
        end = _round_up(bounds, boot_end + size)
        notes.append("storage_partition: placed after MCUboot, in the small sectors of a "
                     "flash with mixed sector sizes")
        return Partition("storage_partition", boot_end, end - boot_end, flash.name, name="storage")
    start = _round_down(bounds, flash.size - size)
    return Partition("storage_partition", start, flash.size - start, flash.name, name="storage")


def plan_layout(req: PlanRequest) -> Plan:
    """Partitions, budgets and Kconfig values for ``req``; ``LayoutError`` when nothing fits."""
    notes: list[str] = []
    code = _code_flash(req)
    boot = _bootloader(req, code, notes)
    storage = _storage(req, code, boot.end, notes)
    lo = storage.end if storage is not None and storage.offset == boot.end else boot.end
    hi = storage.offset if storage is not None and storage.offset != boot.end else code.size
    if hi <= lo:
        raise LayoutError(f"{code.name}: no room for image slots after MCUboot and storage")
    secondary = next((f for f in req.flashes if f.name == req.secondary_flash), None)
    shape = SlotShape(mode=req.mode, flash=code, start=lo, end=hi, images=req.images,
                      secondary=secondary, scratch_size=req.scratch_size,
                      loader_size=req.loader_size)
    slots, shape_notes = shape_slots(shape)
    notes += shape_notes
    kept = [p for p in req.keep if p.flash == code.name and p.end <= boot.offset]
    parts = tuple(sorted([*kept, boot, *slots, *([storage] if storage else [])],
                         key=lambda p: (p.flash != code.name, p.flash, p.offset)))
    layout = Layout(tuple(req.flashes), with_node_paths(parts), code_partition="slot0_partition",
                    notes=tuple(notes))
    budgets = _budgets(req, layout)
    single = req.mode is UpgradeMode.FIRMWARE_LOADER and layout.partition("slot1_partition") is None
    kconfig = kconfig_for(KconfigInputs(
        mode=req.mode, images=req.images, max_img_sectors=req.max_img_sectors,
        header_size=req.header_size,
        rom_end_offset=budgets[0].slot_size - budgets[0].max_image_size,
        encrypted=req.encryption is not Encryption.NONE, single_slot=single,
        aes256=req.encryption is Encryption.AES256))
    for n in notes:
        log.info("default: %s", n)
    return Plan(req.mode, layout, budgets, kconfig, tuple(notes))


def _budgets(req: PlanRequest, layout: Layout) -> tuple[Budget, ...]:
    out = []
    for image in range(req.images):
        if layout.partition(slot_labels(image)[0]) is None:
            break
        out.append(compute_budget(request_for_image(
            layout, req.mode, image, max_img_sectors=req.max_img_sectors,
            encryption=req.encryption, header_size=req.header_size)))
    return tuple(out)
