"""The size budget MCUboot really enforces for an image, per upgrade mode.

Entry points: ``BudgetRequest`` (frozen; what decides the budget) ->
``compute_budget(request)`` -> ``Budget`` (slot size, trailer, spare sector,
``max_image_size`` = header + code + TLVs, imgtool's own estimate, and a
human breakdown). ``Budget.require_fits(size)`` refuses an image that does
not fit, before anything is written. ``BudgetRequest.uniform(...)`` builds a
request for two slots of equal, uniform sectors.

Rules, all from MCUboot's bootutil (cited per function below):

* Trailer (``bootutil_area.c``): ``boot_trailer_sz(w) = boot_status_sz(w) +
  boot_trailer_info_sz()``. Status: ``BOOT_STATUS_MAX_ENTRIES`` (=
  ``BOOT_MAX_IMG_SECTORS``) x ``BOOT_STATUS_STATE_COUNT`` x write size; the
  state count is 3 for swap-using-scratch and swap-using-move
  (``BOOT_STATUS_MOVE_STATE_COUNT`` 1 + ``BOOT_STATUS_SWAP_STATE_COUNT`` 2),
  2 for swap-using-offset, and 0 entries for single-slot modes. Info: two
  encryption key fields (``BOOT_ENC_KEY_ALIGN_SIZE`` = 16 or 32 bytes for
  AES-128/256 rounded up to ``BOOT_MAX_ALIGN``, or ``BOOT_ENC_TLV_ALIGN_SIZE``
  with ``MCUBOOT_SWAP_SAVE_ENCTLV``), four ``BOOT_MAX_ALIGN`` fields
  (swap_type, copy_done, image_ok, swap_size), one more for swap-using-offset
  (the TLV size of both slots), and the 16-byte magic rounded up to
  ``BOOT_MAX_ALIGN`` (``BOOT_MAGIC_ALIGN_SIZE``).
* ``BOOT_MAX_ALIGN`` is 8 unless the flash writes in larger units (Zephyr's
  MCUboot port takes the chosen flash's ``write-block-size`` when > 8; 32 at
  most; imgtool ``--max-align``).
* What the device checks (``bootutil_misc.c`` ``bootutil_max_image_size``,
  called by ``image_validate.c`` on the image's TLV end):
  single slot / firmware loader -> ``boot_status_off`` (slot - trailer);
  swap-using-scratch -> slot - trailer - padding so the scratch trailer fits
  the first trailer sector; swap-using-move/offset -> start of the sector
  holding ``boot_status_off``; overwrite-only, direct-xip, ram-load ->
  ``boot_swap_info_off`` (slot - magic - image_ok - copy_done - swap_info).
* Swap-using-move/offset also bound the image by whole sectors
  (``swap_move.c`` / ``swap_offset.c`` ``app_max_size()``): move keeps one
  sector of the primary free to shift the image up; offset stores the new
  image one sector into the secondary; the trailer occupies whole sectors at
  the end of each slot. For Zephyr's nrf52840dk slots (0x76000, 118 x 4 KiB,
  write-block 4) both leave 116 sectors = 475,136 bytes.

Where MCUboot versions differ: a 2025 swap_move.c (with the "fallback
trailer") computes ``app_max_sectors() * sector - sector``, one sector less
than above (471,040 bytes for nrf52840dk); this module follows the rule the
issue's test vector fixes (475,136), i.e. slot - move sector - trailer
sectors. imgtool 2.5.0 knows none of this: it subtracts only its trailer
estimate (3 status entries per sector, 16-byte key fields), so for swap modes
it accepts larger images than the bootloader will swap (mcu-tools/mcuboot#1845).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zephyr_ota.errors import LayoutError, SlotOverflowError, UsageError
from zephyr_ota.layout.budget_rules import (
    BOOT_MAGIC_SZ,
    DEFAULT_HEADER_SIZE,
    DEFAULT_MAX_ALIGN,
    IMGTOOL_DEFAULT_MAX_SECTORS,
    MAX_MAX_ALIGN,
    STATUS_STATES,
    Encryption,
    EncScheme,
    align_up,
    check_sector_count,
    imgtool_overwrite_only,
    imgtool_trailer_size,
    matched_chunks,
    move_offset_bound,
    scratch_bound,
    single_slot_bound,
    status_size,
    swap_info_bound,
    trailer_info_size,
    trailer_size,
)
from zephyr_ota.layout.model import Layout, Partition, UpgradeMode

__all__ = [
    "BOOT_MAGIC_SZ", "DEFAULT_HEADER_SIZE", "IMGTOOL_DEFAULT_MAX_SECTORS", "STATUS_STATES",
    "Budget", "BudgetRequest", "EncScheme", "Encryption", "align_up", "compute_budget",
    "partition_sectors", "request_for_image", "slot_labels",
    "imgtool_overwrite_only", "imgtool_trailer_size", "matched_chunks", "status_size", "trailer_info_size",
    "trailer_size",
]


def _check_sectors(name: str, sectors: tuple[int, ...]) -> None:
    if any(s <= 0 or s & (s - 1) for s in sectors):
        raise UsageError(f"{name}: expected power-of-two sector sizes, got "
                         f"{', '.join(hex(s) for s in sectors)}")


@dataclass(frozen=True)
class BudgetRequest:
    """Everything that decides how large an image MCUboot accepts.

    ``primary_sectors``/``secondary_sectors`` list each slot's erase sectors
    in order (their sum is the slot size). ``max_img_sectors=None`` means
    CONFIG_BOOT_MAX_IMG_SECTORS_AUTO: MCUboot's Zephyr port sizes the status
    area for the sector count of the largest slot.
    """

    mode: UpgradeMode
    primary_sectors: tuple[int, ...]
    secondary_sectors: tuple[int, ...] = ()
    write_block: int = 4
    secondary_write_block: int | None = None
    max_align: int | None = None
    max_img_sectors: int | None = None
    encryption: Encryption = Encryption.NONE
    save_enctlv: bool = False
    enc_scheme: EncScheme = EncScheme.ECIES_P256
    header_size: int = DEFAULT_HEADER_SIZE

    def __post_init__(self) -> None:
        if not self.primary_sectors:
            raise UsageError("budget: the primary slot has no sectors")
        _check_sectors("primary slot", self.primary_sectors)
        _check_sectors("secondary slot", self.secondary_sectors)
        needs_secondary = self.mode is not UpgradeMode.FIRMWARE_LOADER
        if needs_secondary and not self.secondary_sectors:
            raise UsageError(f"budget: mode {self.mode.value} needs a secondary slot")
        for what, value in (("write_block", self.write_block),
                            ("secondary_write_block", self.secondary_write_block or 1)):
            if value <= 0 or value & (value - 1) or value > MAX_MAX_ALIGN:
                raise UsageError(f"budget: {what}: expected a power of two up to 32, got {value}")
        if self.max_align is not None and self.max_align not in (8, 16, 32):
            raise UsageError(f"budget: max_align: expected 8, 16 or 32, got {self.max_align}")
        if self.max_align is not None and self.max_align < self.effective_write_block:
            raise UsageError(f"budget: max_align {self.max_align} is smaller than the "
                             f"write block {self.effective_write_block}")
        if self.max_img_sectors is not None and self.max_img_sectors <= 0:
            raise UsageError(f"budget: max_img_sectors: expected a positive count, "
                             f"got {self.max_img_sectors}")
        if self.save_enctlv and self.encryption is Encryption.NONE:
            raise UsageError("budget: save_enctlv needs encryption")
        if self.header_size < 32 or self.header_size % 4:
            raise UsageError(f"budget: header_size: expected >= 32 and a multiple of 4, "
                             f"got {self.header_size:#x}")

    @classmethod
    def uniform(cls, mode: UpgradeMode, slot_size: int, sector_size: int,
                secondary_size: int | None = None, **options: object) -> BudgetRequest:
        """Two slots of uniform ``sector_size`` (the secondary defaults to the primary's size)."""
        sec = slot_size if secondary_size is None else secondary_size
        for what, size in (("slot_size", slot_size), ("secondary_size", sec)):
            if size <= 0 or size % sector_size:
                raise UsageError(f"budget: {what}: expected a multiple of the sector size "
                                 f"{sector_size:#x}, got {size:#x}")
        secondary = () if mode is UpgradeMode.FIRMWARE_LOADER and secondary_size is None \
            else (sector_size,) * (sec // sector_size)
        return cls(mode, (sector_size,) * (slot_size // sector_size), secondary,
                   **options)  # type: ignore[arg-type]

    @property
    def effective_write_block(self) -> int:
        """BOOT_WRITE_SZ: the larger write unit of the slots (loader.c boot_write_sz)."""
        return max(self.write_block, self.secondary_write_block or 1)

    @property
    def boot_max_align(self) -> int:
        """BOOT_MAX_ALIGN: 8, or the write block when larger (up to 32)."""
        if self.max_align is not None:
            return self.max_align
        return max(DEFAULT_MAX_ALIGN, self.effective_write_block)

    @property
    def status_sectors(self) -> int:
        """BOOT_MAX_IMG_SECTORS as MCUboot is built (AUTO: the largest slot's sector count)."""
        if self.max_img_sectors is not None:
            return self.max_img_sectors
        return max(len(self.primary_sectors), len(self.secondary_sectors))

    @property
    def primary_size(self) -> int:
        return sum(self.primary_sectors)

    @property
    def secondary_size(self) -> int:
        return sum(self.secondary_sectors)


@dataclass(frozen=True)
class Budget:
    """The result: how the slot's bytes are spent. All sizes in bytes."""

    mode: UpgradeMode
    slot_size: int                 # primary slot
    secondary_slot_size: int
    trailer_size: int              # boot_trailer_sz(BOOT_WRITE_SZ)
    status_size: int               # swap-status part of the trailer
    trailer_sectors: int           # whole sectors the trailer occupies (swap modes)
    spare_sector: int              # move: primary's move sector; offset: secondary's first
    trailer_padding: int           # swap-using-scratch padding (bootutil_max_image_size)
    max_image_size: int            # header + code + TLVs the bootloader accepts
    header_size: int
    boot_max_align: int
    max_img_sectors: int
    imgtool_max_image_size: int    # what imgtool 2.5.0 --pad would accept
    breakdown: tuple[tuple[str, int], ...] = field(default=())
    notes: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return self.max_image_size > self.header_size

    @property
    def secondary_image_offset(self) -> int:
        """Where an update starts in the secondary slot: one sector in for
        swap-using-offset (swap_offset.c boot_read_image_header), else 0."""
        return self.spare_sector if self.mode is UpgradeMode.SWAP_USING_OFFSET else 0

    @property
    def max_code_size(self) -> int:
        """Bytes for code + TLVs after the header."""
        return self.max_image_size - self.header_size

    def bytes_left(self, image_size: int) -> int:
        return self.max_image_size - image_size

    def require_fits(self, image_size: int, what: str = "image") -> None:
        """Raise ``SlotOverflowError`` unless ``image_size`` (header+code+TLVs) fits."""
        if image_size <= self.max_image_size:
            return
        hint = None
        if image_size <= self.imgtool_max_image_size:
            hint = ("imgtool's estimate would accept it, but MCUboot's "
                    f"{self.mode.value} budget is smaller (mcu-tools/mcuboot#1845)")
        raise SlotOverflowError(
            f"{what}: expected at most {self.max_image_size} bytes (header + code + TLVs) "
            f"for {self.mode.value} in a {self.slot_size:#x}-byte slot, got {image_size} "
            f"({image_size - self.max_image_size} too many)", hint=hint)

    def describe(self, image_size: int | None = None) -> list[str]:
        """Lines for a summary: slot, trailer, spare sector, image size, and with
        ``image_size`` the image and the bytes left."""
        lines = [f"mode {self.mode.value}: slot {self.slot_size:#x} ({self.slot_size} bytes)"]
        lines += [f"  {label}: {value} bytes" for label, value in self.breakdown]
        lines.append(f"  max image (header + code + TLVs): {self.max_image_size} bytes")
        if image_size is not None:
            lines.append(f"  image: {image_size} bytes, {self.bytes_left(image_size)} bytes left")
        lines += [f"  note: {n}" for n in self.notes]
        return lines


def compute_budget(req: BudgetRequest) -> Budget:
    """The budget MCUboot enforces for ``req``; raises ``LayoutError`` for slot
    shapes the bootloader refuses to upgrade."""
    mode = req.mode
    t_sectors = spare = padding = 0
    notes: list[str] = []
    if mode is UpgradeMode.FIRMWARE_LOADER:
        size, parts = single_slot_bound(req)
    else:
        # direct-xip and ram-load never read the slots' sector maps (loader.c
        # boot_read_sectors is compiled out for them); every other mode does
        if mode not in (UpgradeMode.DIRECT_XIP, UpgradeMode.RAM_LOAD):
            check_sector_count(req)
        if mode in (UpgradeMode.SWAP_USING_MOVE, UpgradeMode.SWAP_USING_OFFSET):
            size, parts, t_sectors, spare = move_offset_bound(req)
            where = "primary" if mode is UpgradeMode.SWAP_USING_MOVE else "secondary"
            parts.append((f"spare sector in the {where} slot", spare))
        elif mode is UpgradeMode.SWAP_USING_SCRATCH:
            matched_chunks(req)
            size, parts, padding = scratch_bound(req)
        else:
            if mode is UpgradeMode.OVERWRITE_ONLY:
                matched_chunks(req)     # overwrite-only shares swap_scratch.c's check
            size, parts = swap_info_bound(req)
    if req.max_img_sectors is None and mode is not UpgradeMode.FIRMWARE_LOADER:
        notes.append(f"CONFIG_BOOT_MAX_IMG_SECTORS_AUTO: status area sized for "
                     f"{req.status_sectors} sectors (the largest slot)")
    imgtool_slot = req.secondary_size or req.primary_size
    imgtool_max = imgtool_slot - imgtool_trailer_size(req)
    if imgtool_max > size:
        notes.append(f"imgtool --pad would accept up to {imgtool_max} bytes; MCUboot "
                     f"accepts {size} ({imgtool_max - size} fewer)")
    if size <= req.header_size:
        raise LayoutError(f"{mode.value}: slot {req.primary_size:#x} leaves {size} bytes, "
                          f"not even the {req.header_size:#x}-byte header fits")
    return Budget(
        mode=mode, slot_size=req.primary_size, secondary_slot_size=req.secondary_size,
        trailer_size=(trailer_info_size(req) if mode is UpgradeMode.FIRMWARE_LOADER
                      else trailer_size(req)),
        status_size=0 if mode is UpgradeMode.FIRMWARE_LOADER else status_size(req),
        trailer_sectors=t_sectors, spare_sector=spare, trailer_padding=padding,
        max_image_size=size, header_size=req.header_size, boot_max_align=req.boot_max_align,
        max_img_sectors=req.status_sectors, imgtool_max_image_size=imgtool_max,
        breakdown=tuple(parts), notes=tuple(notes))


def slot_labels(image: int) -> tuple[str, str]:
    """MCUboot's devicetree labels for image ``image``: slot(2N)_partition, slot(2N+1)_partition."""
    return f"slot{2 * image}_partition", f"slot{2 * image + 1}_partition"


def partition_sectors(layout: Layout, part: Partition) -> tuple[int, ...]:
    """Erase sectors tiling ``part``; ``LayoutError`` when it is not on sector boundaries."""
    flash = layout.flash(part.flash)
    try:
        return flash.sectors_in(part.offset, part.end)
    except ValueError as e:
        where = part.node_path or part.label
        raise LayoutError(f"{where}: [{part.offset:#x}, {part.end:#x}) is not on erase-sector "
                          f"boundaries of {flash.name}") from e


def request_for_image(layout: Layout, mode: UpgradeMode, image: int = 0,
                      **options: object) -> BudgetRequest:
    """A ``BudgetRequest`` for image ``image`` of ``layout`` (sectors and write blocks from
    its flashes); ``options`` are the other ``BudgetRequest`` fields."""
    primary_label, secondary_label = slot_labels(image)
    primary = layout.partition(primary_label)
    if primary is None:
        raise LayoutError(f"layout: no {primary_label} for image {image}")
    secondary = layout.partition(secondary_label)
    if secondary is None and mode is not UpgradeMode.FIRMWARE_LOADER:
        raise LayoutError(f"layout: mode {mode.value} needs {secondary_label} for image {image}")
    sec_sectors = partition_sectors(layout, secondary) if secondary is not None else ()
    sec_write = layout.flash(secondary.flash).write_block if secondary is not None else None
    return BudgetRequest(mode, partition_sectors(layout, primary), sec_sectors,
                         write_block=layout.flash(primary.flash).write_block,
                         secondary_write_block=sec_write, **options)  # type: ignore[arg-type]
