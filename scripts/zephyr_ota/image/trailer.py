"""The MCUboot image trailer at the end of a slot, as imgtool ``--pad`` writes it.

Entry points: ``TrailerSpec`` (``size``, ``magic``, ``bytes_for``,
``pieces_for``), ``read_trailer`` -> ``TrailerInfo``.

Layout from the end of the slot (bootutil_priv.h, docs/design.md "Image
trailer"): magic (16 bytes, in a field rounded up to BOOT_MAX_ALIGN), then
image_ok, copy_done, swap_info, swap_size (one max-align field each), the
encryption key slots, and the swap status area.

``TrailerSpec.size`` is imgtool 2.5.0's estimate (image.py ``_trailer_size``):
3 status entries of ``align`` bytes per sector for ``max_sectors`` sectors,
two key fields of ``align_up(16, max_align)`` (or the aligned key TLV with
``--save-enctlv``), four flag fields and the magic field. The exact
per-mode budget the bootloader uses lives in ``zephyr_ota.layout.budget``.
"""

from __future__ import annotations

from dataclasses import dataclass

from zephyr_ota.errors import UsageError
from zephyr_ota.image.constants import (
    BOOT_FLAG_SET,
    BOOT_MAGIC,
    BOOT_MAGIC_ALIGN_TAIL,
    BOOT_MAGIC_SIZE,
    DEFAULT_MAX_ALIGN,
    DEFAULT_MAX_SECTORS,
    VALID_ALIGNS,
    VALID_MAX_ALIGNS,
)


def align_up(value: int, align: int) -> int:
    return -(-value // align) * align


@dataclass(frozen=True)
class TrailerSpec:
    """What decides the trailer's size and magic."""

    align: int = 1
    max_align: int = DEFAULT_MAX_ALIGN
    max_sectors: int = DEFAULT_MAX_SECTORS
    overwrite_only: bool = False
    encrypted: bool = False
    save_enctlv: bool = False
    enctlv_len: int = 0

    def __post_init__(self) -> None:
        if self.align not in VALID_ALIGNS:
            raise UsageError(f"--align: expected one of {VALID_ALIGNS}, got {self.align}")
        if self.max_align not in VALID_MAX_ALIGNS:
            raise UsageError(
                f"--max-align: expected one of {VALID_MAX_ALIGNS}, got {self.max_align}")
        if self.max_sectors <= 0:
            raise UsageError(f"--max-sectors: expected a positive count, got {self.max_sectors}")

    @property
    def magic_field(self) -> int:
        return align_up(BOOT_MAGIC_SIZE, self.max_align)

    @property
    def size(self) -> int:
        """Trailer bytes imgtool reserves at the end of the slot."""
        if self.overwrite_only:
            return self.max_align * 2 + self.magic_field
        status = self.max_sectors * 3 * self.align
        keys = 0
        if self.encrypted:
            key_field = self.enctlv_len if self.save_enctlv else 16
            keys = 2 * align_up(key_field, self.max_align)
        return status + keys + self.max_align * 4 + self.magic_field

    def bytes_left(self, image_size: int, slot_size: int) -> int:
        """Slot bytes left after image and trailer; negative when it does not
        fit (imgtool image.py ``check_trailer`` refuses that)."""
        return slot_size - image_size - self.size

    @property
    def magic(self) -> bytes:
        """The 16 magic bytes (bootutil_public.c boot_img_magic)."""
        if self.max_align == DEFAULT_MAX_ALIGN:
            return BOOT_MAGIC
        return self.max_align.to_bytes(2, "little") + BOOT_MAGIC_ALIGN_TAIL

    @property
    def image_ok_offset(self) -> int:
        """Offset of image_ok from the trailer's start."""
        return self.size - self.magic_field - self.max_align

    def pieces_for(self, confirm: bool, test: bool,
                   erased_val: int) -> list[tuple[int, bytes]]:
        """The non-erased parts of the trailer: (offset in trailer, bytes).

        ``--confirm`` sets image_ok; ``--test`` leaves it erased, the magic
        alone requests the test swap (bootutil_public.c boot_swap_type table).
        """
        pieces = []
        if (confirm or test) and not self.overwrite_only:
            flag = bytearray([erased_val]) * self.max_align
            if confirm:
                flag[0] = BOOT_FLAG_SET
            pieces.append((self.image_ok_offset, bytes(flag)))
        pieces.append((self.size - BOOT_MAGIC_SIZE, self.magic))
        return pieces

    def bytes_for(self, confirm: bool, test: bool, erased_val: int) -> bytes:
        """The whole trailer as ``--pad`` writes it."""
        out = bytearray([erased_val]) * self.size
        for offset, data in self.pieces_for(confirm, test, erased_val):
            out[offset:offset + len(data)] = data
        return bytes(out)


@dataclass(frozen=True)
class TrailerInfo:
    """What a padded image's trailer says (read as imgtool dumpinfo reads it)."""

    max_align: int
    image_ok: int
    copy_done: int
    swap_info: int
    swap_size: int

    @property
    def confirmed(self) -> bool:
        return self.image_ok == BOOT_FLAG_SET


def read_trailer(tail: bytes | memoryview) -> TrailerInfo | None:
    """Parse the end of a padded slot; ``None`` when no trailer magic is there."""
    if len(tail) < BOOT_MAGIC_SIZE:
        return None
    magic = bytes(tail[-BOOT_MAGIC_SIZE:])
    if magic == BOOT_MAGIC:
        max_align = DEFAULT_MAX_ALIGN
    elif magic[2:] == BOOT_MAGIC_ALIGN_TAIL:
        max_align = int.from_bytes(magic[:2], "little")
        if max_align not in VALID_MAX_ALIGNS:
            return None
    else:
        return None
    field = align_up(BOOT_MAGIC_SIZE, max_align)
    if len(tail) < field + 4 * max_align:
        return None
    end = len(tail) - field
    image_ok = tail[end - max_align]
    copy_done = tail[end - 2 * max_align]
    swap_info = tail[end - 3 * max_align]
    size_at = end - 4 * max_align
    swap_size = int.from_bytes(bytes(tail[size_at:size_at + 4]), "little")
    return TrailerInfo(max_align, image_ok, copy_done, swap_info, swap_size)
