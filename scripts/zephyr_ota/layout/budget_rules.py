"""MCUboot's trailer and per-mode image bounds, as pure functions of a
``BudgetRequest`` (see ``zephyr_ota.layout.budget`` for the rules and their
sources). Entry points: ``trailer_size``, ``trailer_info_size``,
``status_size``, ``imgtool_trailer_size``, and the ``*_bound`` functions
``compute_budget`` combines.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from zephyr_ota.errors import LayoutError
from zephyr_ota.layout.model import UpgradeMode

if TYPE_CHECKING:
    from zephyr_ota.layout.budget import BudgetRequest

BOOT_MAGIC_SZ = 16            # bootutil_public.c boot_img_magic
DEFAULT_MAX_ALIGN = 8         # bootutil_public.h BOOT_MAX_ALIGN without MCUBOOT_BOOT_MAX_ALIGN
MAX_MAX_ALIGN = 32            # _Static_assert in bootutil_public.h
IMGTOOL_DEFAULT_MAX_SECTORS = 128  # imgtool image.py DEFAULT_MAX_SECTORS
DEFAULT_HEADER_SIZE = 0x200   # Zephyr CONFIG_ROM_START_OFFSET with MCUboot on Cortex-M

# Swap-status entries written per sector (bootutil_priv.h BOOT_STATUS_STATE_COUNT).
STATUS_STATES = {
    UpgradeMode.SWAP_USING_SCRATCH: 3,
    UpgradeMode.SWAP_USING_MOVE: 3,    # MOVE_STATE_COUNT 1 + SWAP_STATE_COUNT 2
    UpgradeMode.SWAP_USING_OFFSET: 2,
    UpgradeMode.OVERWRITE_ONLY: 3,     # status area still sized, never written
    UpgradeMode.DIRECT_XIP: 3,
    UpgradeMode.RAM_LOAD: 3,
    UpgradeMode.FIRMWARE_LOADER: 0,    # bootutil_area.c boot_status_entry_sz: single slot
}


class Encryption(str, enum.Enum):
    """Image encryption as MCUboot's trailer sees it (the key-field size)."""

    NONE = "none"
    AES128 = "aes128"
    AES256 = "aes256"

    @property
    def key_size(self) -> int:
        """enc_key.h BOOT_ENC_KEY_SIZE."""
        return {"none": 0, "aes128": 16, "aes256": 32}[self.value]


class EncScheme(str, enum.Enum):
    """Key-transport scheme; only matters with ``save_enctlv``."""

    RSA_OAEP = "rsa"
    AES_KW = "kw"
    ECIES_P256 = "ec256"
    ECIES_X25519 = "x25519"

    def tlv_size(self, key_size: int) -> int:
        """enc_key.h BOOT_ENC_TLV_SIZE for this scheme and AES key size."""
        if self is EncScheme.RSA_OAEP:
            return 256                       # RSA-2048 OAEP ciphertext
        if self is EncScheme.AES_KW:
            return key_size + 8              # RFC 3394 wrapped key
        pub = 65 if self is EncScheme.ECIES_P256 else 32
        return pub + 32 + key_size           # ephemeral key + HMAC-SHA256 tag + key


def align_up(value: int, align: int) -> int:
    return -(-value // align) * align


# --- the trailer (bootutil_area.c) -------------------------------------------

def trailer_info_size(req: BudgetRequest) -> int:
    """boot_trailer_info_sz(): key fields, four flag fields, offset's TLV-size field, magic."""
    a = req.boot_max_align
    size = 4 * a + align_up(BOOT_MAGIC_SZ, a)      # swap_type, copy_done, image_ok, swap_size; magic
    if req.mode is UpgradeMode.SWAP_USING_OFFSET:
        size += a                                  # TLV size for both slots
    key = req.encryption.key_size
    if key:
        field_size = req.enc_scheme.tlv_size(key) if req.save_enctlv else key
        size += 2 * align_up(field_size, a)        # BOOT_ENC_{KEY,TLV}_ALIGN_SIZE x 2
    return size


def status_size(req: BudgetRequest, entries: int | None = None) -> int:
    """boot_status_sz(): BOOT_STATUS_MAX_ENTRIES x STATE_COUNT x write size."""
    count = req.status_sectors if entries is None else entries
    return count * STATUS_STATES[req.mode] * req.effective_write_block


def trailer_size(req: BudgetRequest) -> int:
    """boot_trailer_sz(BOOT_WRITE_SZ)."""
    return status_size(req) + trailer_info_size(req)


def imgtool_trailer_size(req: BudgetRequest) -> int:
    """imgtool 2.5.0's estimate (image.py _trailer_size) with the flags the mode implies:
    ``--align W --max-sectors N --max-align A`` and ``--overwrite-only`` for the modes
    that never write swap status. It sizes key fields for 16-byte keys only."""
    a = req.boot_max_align
    magic = align_up(BOOT_MAGIC_SZ, a)
    if imgtool_overwrite_only(req.mode):
        return 2 * a + magic
    size = req.status_sectors * 3 * req.effective_write_block + 4 * a + magic
    if req.encryption is not Encryption.NONE:
        field_size = req.enc_scheme.tlv_size(req.encryption.key_size) if req.save_enctlv else 16
        size += 2 * align_up(field_size, a)
    return size


def imgtool_overwrite_only(mode: UpgradeMode) -> bool:
    """Whether ``imgtool sign --overwrite-only`` matches this mode's trailer use."""
    return not mode.is_swap


# --- per-mode bounds -------------------------------------------------------

def _swap_info_off(slot_size: int, a: int) -> int:
    """bootutil_public.c boot_swap_info_off(): magic, image_ok, copy_done, swap_info from the end."""
    magic_off = slot_size - align_up(BOOT_MAGIC_SZ, a)
    image_ok_off = (magic_off - a) // a * a
    return image_ok_off - 2 * a


def _trailer_sector_count(sectors: tuple[int, ...], nbytes: int) -> int:
    """How many sectors from the end hold ``nbytes`` (boot_get_first_trailer_sector)."""
    total = 0
    for count, size in enumerate(reversed(sectors), start=1):
        total += size
        if total >= nbytes:
            return count
    raise LayoutError(f"trailer of {nbytes} bytes does not fit a slot of {sum(sectors)} bytes")


def check_sector_count(req: BudgetRequest) -> None:
    """Sector arrays hold BOOT_MAX_IMG_SECTORS entries; more is 'Cannot upgrade: more
    sectors than allowed' (swap_*.c boot_slots_compatible, loader.c boot_read_sectors)."""
    for name, sectors in (("primary", req.primary_sectors), ("secondary", req.secondary_sectors)):
        if len(sectors) > req.status_sectors:
            raise LayoutError(
                f"{name} slot: expected at most CONFIG_BOOT_MAX_IMG_SECTORS={req.status_sectors} "
                f"sectors, got {len(sectors)}",
                hint=f"set CONFIG_BOOT_MAX_IMG_SECTORS={len(sectors)} in MCUboot's configuration "
                     "(or leave CONFIG_BOOT_MAX_IMG_SECTORS_AUTO=y)")


def _uniform_sector(req: BudgetRequest) -> int:
    """Swap-move/offset work with one sector size (swap_move.c: 'constant sector size')."""
    sizes = set(req.primary_sectors) | set(req.secondary_sectors)
    if len(sizes) != 1:
        raise LayoutError(
            f"{req.mode.value}: expected one sector size in both slots, got "
            f"{', '.join(hex(s) for s in sorted(sizes))}; MCUboot 2.3 refuses it "
            f"(swap_{req.mode.name[11:].lower()}.c boot_slots_compatible: 'Cannot upgrade: "
            "not same sector layout')",
            hint="use swap-using-scratch for slots with mixed sector sizes")
    return sizes.pop()


def single_slot_bound(req: BudgetRequest) -> tuple[int, list[tuple[str, int]]]:
    """firmware-loader / single slot: boot_status_off() = slot - boot_trailer_sz (no status)."""
    info = trailer_info_size(req)
    return req.primary_size - info, [("trailer (flags, magic, keys)", info)]


def swap_info_bound(req: BudgetRequest) -> tuple[int, list[tuple[str, int]]]:
    """overwrite-only, direct-xip, ram-load: boot_swap_info_off() of each slot."""
    a = req.boot_max_align
    size = min(_swap_info_off(req.primary_size, a), _swap_info_off(req.secondary_size, a))
    reserved = min(req.primary_size, req.secondary_size) - size
    return size, [("trailer (magic, image_ok, copy_done, swap_info)", reserved)]


def scratch_bound(req: BudgetRequest) -> tuple[int, list[tuple[str, int]], int]:
    """bootutil_max_image_size() for swap-using-scratch, per slot; the smaller wins."""
    trailer = trailer_size(req)
    scratch_trailer = status_size(req, 1) + trailer_info_size(req)   # boot_scratch_trailer_sz
    ends = []
    for sectors in (req.primary_sectors, req.secondary_sectors):
        count = _trailer_sector_count(sectors, trailer)
        ends.append(sum(sectors[:len(sectors) - count + 1]))     # end of first trailer sector
    best, padding = None, 0
    for slot_size in (req.primary_size, req.secondary_size):
        trailer_off = slot_size - trailer
        in_first = max(ends) - trailer_off
        pad = max(0, scratch_trailer - in_first)
        if best is None or trailer_off - pad < best:
            best, padding = trailer_off - pad, pad
    assert best is not None
    parts = [("swap status", status_size(req)), ("trailer info", trailer_info_size(req))]
    if padding:
        parts.append(("padding so the scratch trailer fits", padding))
    return best, parts, padding


def move_offset_bound(req: BudgetRequest) -> tuple[int, list[tuple[str, int]], int, int]:
    """swap-using-move / swap-using-offset: whole sectors (app_max_size) and the
    sector holding boot_status_off (bootutil_max_image_size)."""
    sector = _uniform_sector(req)
    pri, sec = len(req.primary_sectors), len(req.secondary_sectors)
    trailer = trailer_size(req)
    t = _trailer_sector_count((sector,) * pri, trailer)
    move = req.mode is UpgradeMode.SWAP_USING_MOVE
    if move:
        usable = min(pri - 1 - t, sec - t)     # one primary sector to move the image up
        # app_max_sectors() = pri - 1 - t; its third clause accepts usable == sec + 1
        shapes_ok = pri in (sec, sec + 1) or pri - 1 - t == sec + 1
        rule = ("swap_move.c boot_slots_compatible: primary must have as many sectors as "
                "the secondary or one more")
    else:
        usable = min(pri - t, sec - 1 - t)     # the update starts one sector into the secondary
        # app_max_sectors() = min(pri - t, sec - 1); it accepts usable == sec - 1
        shapes_ok = sec in (pri, pri + 1) or min(pri - t, sec - 1) == sec - 1
        rule = ("swap_offset.c boot_slots_compatible: secondary must have as many sectors "
                "as the primary or one more")
    if not shapes_ok:
        raise LayoutError(f"{req.mode.value}: slots of {pri} and {sec} sectors are refused by "
                          f"MCUboot 2.3 ({rule}: 'Cannot upgrade: not a compatible amount "
                          "of sectors')", hint=_shape_hint(req.mode, sector))
    if usable <= 0:
        raise LayoutError(f"{req.mode.value}: no room for an image: {pri}/{sec} sectors of "
                          f"{sector:#x}, trailer needs {t}")
    by_sectors = usable * sector
    by_status = min((req.primary_size - trailer) // sector * sector,
                    (req.secondary_size - trailer) // sector * sector - (0 if move else sector))
    size = min(by_sectors, by_status)
    parts = [("swap status", status_size(req)), ("trailer info", trailer_info_size(req)),
             (f"trailer rounded up to {t} sector(s)", t * sector)]
    return size, parts, t, sector


def _shape_hint(mode: UpgradeMode, sector: int) -> str:
    if mode is UpgradeMode.SWAP_USING_MOVE:
        return f"make slot0 one sector ({sector:#x}) larger than slot1, or both equal"
    return f"make slot1 one sector ({sector:#x}) larger than slot0, or both equal"


def matched_chunks(req: BudgetRequest) -> tuple[int, ...]:
    """Walk both slots' sectors as swap_scratch.c boot_slots_compatible does: the sizes of
    the runs where both slots reach the same offset. ``LayoutError`` when sector sizes
    are not multiples of each other or the slots differ in size ('Cannot upgrade: slots
    have non-compatible sectors' / 'slots are not compatible')."""
    p, s = list(req.primary_sectors), list(req.secondary_sectors)
    i = j = sz0 = sz1 = 0
    smaller = 0
    chunks: list[int] = []
    while i < len(p) or j < len(s):
        if sz0 == sz1:
            if i >= len(p) or j >= len(s):
                break
            sz0, sz1, i, j = sz0 + p[i], sz1 + s[j], i + 1, j + 1
        elif sz0 < sz1:
            if smaller == 2 or i >= len(p):
                break
            sz0, i, smaller = sz0 + p[i], i + 1, 1
        else:
            if smaller == 1 or j >= len(s):
                break
            sz1, j, smaller = sz1 + s[j], j + 1, 2
        if sz0 == sz1:
            chunks.append(sz0)
            sz0 = sz1 = smaller = 0
    if i != len(p) or j != len(s) or sum(p) != sum(s) or sz0 or sz1:
        raise LayoutError(
            f"{req.mode.value}: slots of {sum(p):#x} and {sum(s):#x} bytes with sectors "
            f"{_sector_summary(p)} / {_sector_summary(s)} are refused by MCUboot 2.3 "
            "(swap_scratch.c boot_slots_compatible: 'Cannot upgrade: slots are not compatible')",
            hint="give both slots the same size, made of sectors that are multiples of each other")
    return tuple(chunks)


def _sector_summary(sectors: list[int]) -> str:
    out: list[str] = []
    for size in sectors:
        if out and out[-1].endswith(f"x{size:#x}"):
            n, _, rest = out[-1].partition("x")
            out[-1] = f"{int(n) + 1}x{rest}"
        else:
            out.append(f"1x{size:#x}")
    return "+".join(out)
