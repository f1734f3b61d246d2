"""The 32-byte MCUboot image header (image.h ``struct image_header``).

Entry points: ``ImageHeader`` (``pack``, ``unpack``), ``HEADER_STRUCT``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from zephyr_ota.errors import InputError, UsageError
from zephyr_ota.image.constants import IMAGE_HEADER_SIZE, IMAGE_MAGIC, ImageFlag
from zephyr_ota.image.version import ImageVersion

HEADER_STRUCT = struct.Struct(
    "<"
    "I"     # ih_magic          IMAGE_MAGIC
    "I"     # ih_load_addr      RAM load address or ROM-fixed flash address
    "H"     # ih_hdr_size       header size including padding (the body starts here)
    "H"     # ih_protect_tlv_size  protected TLV area incl. its info header, 0 if none
    "I"     # ih_img_size       body size, not counting header or TLVs
    "I"     # ih_flags          IMAGE_F_*
    "8s"    # ih_ver            struct image_version
    "I"     # _pad1
)
assert HEADER_STRUCT.size == IMAGE_HEADER_SIZE


@dataclass(frozen=True)
class ImageHeader:
    """A parsed or to-be-written image header."""

    load_addr: int
    hdr_size: int
    protect_tlv_size: int
    img_size: int
    flags: ImageFlag
    version: ImageVersion
    magic: int = IMAGE_MAGIC

    def __post_init__(self) -> None:
        if self.hdr_size < IMAGE_HEADER_SIZE or self.hdr_size > 0xFFFF:
            raise UsageError(
                f"header size: expected {IMAGE_HEADER_SIZE}..0xffff, got {self.hdr_size:#x}")
        if not 0 <= self.protect_tlv_size <= 0xFFFF:
            raise UsageError(
                f"protected TLV area: expected at most 0xffff bytes, got {self.protect_tlv_size:#x}")
        for name in ("load_addr", "img_size"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFFFFFFFF:
                raise UsageError(f"{name}: expected a 32-bit value, got {value:#x}")

    @property
    def tlv_offset(self) -> int:
        """Offset of the (protected, else unprotected) TLV area."""
        return self.hdr_size + self.img_size

    def pack(self) -> bytes:
        return HEADER_STRUCT.pack(self.magic, self.load_addr, self.hdr_size,
                                  self.protect_tlv_size, self.img_size, int(self.flags),
                                  self.version.pack(), 0)

    @classmethod
    def unpack(cls, data: bytes, where: str = "image") -> ImageHeader:
        """Parse the first 32 bytes; ``InputError`` names ``where`` on bad input."""
        if len(data) < IMAGE_HEADER_SIZE:
            raise InputError(f"{where}: header: expected {IMAGE_HEADER_SIZE} bytes, "
                             f"the file has {len(data)}")
        magic, load, hdr, ptlv, size, flags, ver, _ = HEADER_STRUCT.unpack_from(data)
        if magic != IMAGE_MAGIC:
            raise InputError(f"{where}: header: bad magic: expected {IMAGE_MAGIC:#010x}, "
                             f"got {magic:#010x}", hint="is this an MCUboot image?")
        if hdr < IMAGE_HEADER_SIZE:
            raise InputError(f"{where}: header: header size {hdr:#x} is smaller than "
                             f"{IMAGE_HEADER_SIZE:#x}")
        return cls(load_addr=load, hdr_size=hdr, protect_tlv_size=ptlv, img_size=size,
                   flags=ImageFlag(flags), version=ImageVersion.unpack(ver), magic=magic)
