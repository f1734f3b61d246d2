"""The firmware an image is made of: sorted, non-overlapping segments.

Entry points: ``Segment(address, data)``, ``Firmware(path, kind, segments,
base_address)`` with ``start``/``end``/``size``, ``to_bytes(erased_val)``
and ``chunks(erased_val)`` (the same bytes, streamed without one big copy).

Addresses are ints in bytes, ranges half-open ``[start, end)``. A raw
binary has no address: one segment at 0 and ``base_address`` None. Intel HEX
and ELF firmware keep their lowest address as ``base_address``, which hex
output reuses, as imgtool does with ``IntelHex.minaddr()``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

FirmwareKind = Literal["bin", "hex", "elf"]
KINDS = ("bin", "hex", "elf")
_GAP_CHUNK = 1 << 20  # gap filler piece size for chunks()


@dataclass(frozen=True)
class Segment:
    """Bytes at an address: ``[address, address + len(data))``."""

    address: int
    data: bytes

    def __post_init__(self) -> None:
        if self.address < 0:
            raise ValueError(f"segment address: expected >= 0, got {self.address:#x}")
        if not self.data:
            raise ValueError(f"segment at {self.address:#x}: expected data, got 0 bytes")

    @property
    def end(self) -> int:
        return self.address + len(self.data)

    def __repr__(self) -> str:
        return f"Segment({self.address:#x}..{self.end:#x})"


def coalesce(runs: Sequence[tuple[int, bytes | bytearray]]) -> tuple[Segment, ...]:
    """Ascending, non-overlapping ``(address, data)`` runs joined into segments
    wherever one run ends where the next starts."""
    segments: list[Segment] = []
    pieces: list[bytes | bytearray] = []
    start = end = -1
    for address, data in runs:
        if address != end and pieces:
            segments.append(Segment(start, b"".join(pieces)))
            pieces = []
        if not pieces:
            start = address
        pieces.append(data)
        end = address + len(data)
    segments.append(Segment(start, b"".join(pieces)))
    return tuple(segments)


@dataclass(frozen=True)
class Firmware:
    """Firmware read from ``path``; ``segments`` sorted by address, disjoint."""

    path: str
    kind: FirmwareKind
    segments: tuple[Segment, ...]
    base_address: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.path}: kind: expected one of {KINDS}, got {self.kind!r}")
        if not self.segments:
            raise ValueError(f"{self.path}: expected at least one segment")
        for before, after in pairwise(self.segments):
            if after.address < before.end:
                raise ValueError(f"{self.path}: segments must be sorted and disjoint, "
                                 f"got {before!r} then {after!r}")
        if self.kind == "bin":
            if self.base_address is not None or len(self.segments) != 1 \
                    or self.segments[0].address != 0:
                raise ValueError(f"{self.path}: a raw binary is one segment at 0 without "
                                 f"a base address")
        elif self.base_address != self.segments[0].address:
            raise ValueError(f"{self.path}: base_address: expected the lowest address "
                             f"{self.segments[0].address:#x}, got {self.base_address!r}")

    @property
    def start(self) -> int:
        return self.segments[0].address

    @property
    def end(self) -> int:
        return self.segments[-1].end

    @property
    def size(self) -> int:
        """Bytes from the first to the last address, gaps included."""
        return self.end - self.start

    @property
    def has_gaps(self) -> bool:
        return any(a.end != b.address for a, b in pairwise(self.segments))

    def chunks(self, erased_val: int = 0xFF) -> Iterator[bytes | memoryview]:
        """The firmware from ``start`` to ``end``, gaps filled with ``erased_val``."""
        position = self.start
        for segment in self.segments:
            gap = segment.address - position
            while gap > 0:
                piece = min(gap, _GAP_CHUNK)
                yield bytes([erased_val]) * piece
                gap -= piece
            yield memoryview(segment.data)
            position = segment.end

    def to_bytes(self, erased_val: int = 0xFF) -> bytes:
        """The firmware as one contiguous buffer (no copy for one segment)."""
        if len(self.segments) == 1:
            return self.segments[0].data
        return b"".join(self.chunks(erased_val))
