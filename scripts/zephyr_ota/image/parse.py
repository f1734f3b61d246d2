"""Reading an MCUboot image: header, TLV areas and trailer.

Entry points: ``parse_image(data, where)`` for bytes in memory,
``read_image(path)`` for a ``.bin`` or ``.hex`` file, both -> ``ParsedImage``.

The walk follows MCUboot's (bootutil/src/tlv.c ``bootutil_tlv_iter_begin``):
the TLV areas start at ``hdr_size + img_size``; a protected area (magic
0x6908) must be exactly ``ih_protect_tlv_size`` bytes and must be there when
that field is non-zero; the unprotected area (0x6907) follows. Whatever
follows the TLVs is slot padding; a trailer is read from its end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zephyr_ota.errors import InputError
from zephyr_ota.image.constants import ImageFlag, TlvType
from zephyr_ota.image.header import ImageHeader
from zephyr_ota.image.tlv import Tlv, parse_area
from zephyr_ota.image.trailer import TrailerInfo, read_trailer


@dataclass(frozen=True)
class ParsedImage:
    """An image as read, with the offsets MCUboot uses."""

    where: str                          # file name for messages
    data: bytes                         # the whole file (hex: from its lowest address)
    header: ImageHeader
    protected_tlvs: tuple[Tlv, ...]
    tlvs: tuple[Tlv, ...]
    tlv_end: int                        # offset after the unprotected TLV area
    trailer: TrailerInfo | None
    base_address: int | None = None     # hex input: the address of offset 0

    @property
    def body(self) -> memoryview:
        h = self.header
        return memoryview(self.data)[h.hdr_size:h.hdr_size + h.img_size]

    @property
    def protected_end(self) -> int:
        """End of the hashed region: header, body and protected TLVs."""
        return self.header.tlv_offset + self.header.protect_tlv_size

    @property
    def encrypted(self) -> bool:
        return self.header.flags.encrypted

    def find(self, kind: int) -> Tlv | None:
        """The first unprotected TLV of ``kind`` (protected ones: ``find_protected``)."""
        return next((t for t in self.tlvs if t.kind == kind), None)

    def find_protected(self, kind: int) -> tuple[Tlv, ...]:
        return tuple(t for t in self.protected_tlvs if t.kind == kind)

    @property
    def security_counter(self) -> int | None:
        found = self.find_protected(TlvType.SEC_CNT)
        return int.from_bytes(found[0].value, "little") if found else None


def parse_image(data: bytes, where: str = "image", base_address: int | None = None) -> ParsedImage:
    """Parse an image held in ``data``; ``InputError`` names what is malformed."""
    header = ImageHeader.unpack(data, where)
    offset = header.tlv_offset
    if offset > len(data):
        raise InputError(f"{where}: header: body of {header.img_size:#x} bytes from "
                         f"{header.hdr_size:#x} runs past the end of the file at {len(data):#x}",
                         hint="the image is truncated, or this is not an MCUboot image")
    protected: tuple[Tlv, ...] = ()
    if header.protect_tlv_size:
        protected, size = parse_area(data, offset, protected=True, where=where)
        if size != header.protect_tlv_size:
            raise InputError(f"{where}: protected TLV area: size {size:#x} differs from the "
                             f"header's protect_tlv_size {header.protect_tlv_size:#x}")
        offset += size
    tlvs, size = parse_area(data, offset, protected=False, where=where)
    end = offset + size
    trailer = read_trailer(memoryview(data)[end:]) if len(data) > end else None
    return ParsedImage(where=where, data=data, header=header, protected_tlvs=protected,
                       tlvs=tlvs, tlv_end=end, trailer=trailer, base_address=base_address)


def load_image_bytes(path: str | os.PathLike[str]) -> tuple[bytes, int | None]:
    """The bytes of a ``.hex`` (by extension; gaps read as erased 0xff) or
    binary file, and the hex file's lowest address."""
    p = Path(path)
    if p.suffix.lower() == ".hex":
        from zephyr_ota.firmware import load_firmware

        fw = load_firmware(p, erased_val=0xFF)
        return fw.to_bytes(0xFF), fw.base_address
    from zephyr_ota.fileio import read_input

    return read_input(p, "image"), None


def read_image(path: str | os.PathLike[str]) -> ParsedImage:
    """Read and parse a ``.hex`` or binary image file."""
    data, base = load_image_bytes(path)
    return parse_image(data, str(path), base)


__all__ = ["ImageFlag", "ParsedImage", "load_image_bytes", "parse_image", "read_image"]
