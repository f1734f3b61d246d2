"""TLV records and the protected/unprotected TLV areas after the image body.

Entry points: ``Tlv`` (one record), ``encode_area`` (records -> area bytes
with its info header), ``parse_area`` (area bytes -> records), ``area_size``.

MCUboot (image.h): an area starts with ``struct image_tlv_info`` (magic u16,
total size u16 including the info header); each record is
``struct image_tlv`` (type u16, length u16) then the value. imgtool writes
standard types as (type u8, 0 u8); as little-endian u16 that is the same.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zephyr_ota.errors import InputError, UsageError
from zephyr_ota.image.constants import (
    TLV_HEADER_SIZE,
    TLV_INFO_MAGIC,
    TLV_INFO_SIZE,
    TLV_PROT_INFO_MAGIC,
    tlv_name,
)

TLV_INFO_STRUCT = struct.Struct("<HH")   # it_magic, it_tlv_tot
TLV_STRUCT = struct.Struct("<HH")        # it_type, it_len
assert TLV_INFO_STRUCT.size == TLV_INFO_SIZE and TLV_STRUCT.size == TLV_HEADER_SIZE


@dataclass(frozen=True)
class Tlv:
    """One TLV record."""

    kind: int
    value: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.kind <= 0xFFFF:
            raise UsageError(f"TLV type: expected 0..0xffff, got {self.kind:#x}")
        if len(self.value) > 0xFFFF:
            raise UsageError(f"TLV {self.name}: value of {len(self.value)} bytes "
                             "exceeds the 0xffff a TLV can hold")

    @property
    def name(self) -> str:
        return tlv_name(self.kind)

    @property
    def size(self) -> int:
        return TLV_HEADER_SIZE + len(self.value)

    def pack(self) -> bytes:
        return TLV_STRUCT.pack(self.kind, len(self.value)) + self.value


def area_size(tlvs: Iterable[Tlv]) -> int:
    """Bytes the area takes, info header included; 0 for no records."""
    body = sum(t.size for t in tlvs)
    return TLV_INFO_SIZE + body if body else 0


def encode_area(tlvs: Sequence[Tlv], protected: bool) -> bytes:
    """The area as written: info header then records; empty for no records."""
    size = area_size(tlvs)
    if not size:
        return b""
    if size > 0xFFFF:
        raise UsageError(f"TLV area of {size} bytes exceeds the 0xffff MCUboot can hold")
    magic = TLV_PROT_INFO_MAGIC if protected else TLV_INFO_MAGIC
    out = bytearray(TLV_INFO_STRUCT.pack(magic, size))
    for tlv in tlvs:
        out += tlv.pack()
    return bytes(out)


def parse_area(data: bytes | memoryview, offset: int, protected: bool,
               where: str) -> tuple[tuple[Tlv, ...], int]:
    """Parse the area at ``offset``; returns its records and its total size."""
    magic_expected = TLV_PROT_INFO_MAGIC if protected else TLV_INFO_MAGIC
    label = "protected TLV area" if protected else "TLV area"
    if offset + TLV_INFO_SIZE > len(data):
        raise InputError(f"{where}: {label} at {offset:#x}: the file ends at {len(data):#x}",
                         hint="the image is truncated")
    magic, total = TLV_INFO_STRUCT.unpack_from(data, offset)
    if magic != magic_expected:
        raise InputError(f"{where}: {label} at {offset:#x}: bad magic: expected "
                         f"{magic_expected:#06x}, got {magic:#06x}")
    end = offset + total
    if total < TLV_INFO_SIZE or end > len(data):
        raise InputError(f"{where}: {label} at {offset:#x}: size {total:#x} runs past "
                         f"the end of the file at {len(data):#x}", hint="the image is truncated")
    records = []
    pos = offset + TLV_INFO_SIZE
    while pos < end:
        if pos + TLV_HEADER_SIZE > end:
            raise InputError(f"{where}: {label}: record at {pos:#x} overruns the area end {end:#x}")
        kind, length = TLV_STRUCT.unpack_from(data, pos)
        pos += TLV_HEADER_SIZE
        if pos + length > end:
            raise InputError(f"{where}: {label}: TLV {tlv_name(kind)} at {pos - 4:#x} "
                             f"of {length} bytes overruns the area end {end:#x}")
        records.append(Tlv(kind, bytes(data[pos:pos + length])))
        pos += length
    return tuple(records), total
