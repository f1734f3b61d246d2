"""The partition data model shared by the devicetree reader, the planner and
the checks. Pure data: no devicetree, no rendering.

Addresses are ints in bytes; ranges are half-open ``[start, end)``. A
partition's ``offset`` is relative to its flash device (what ``reg`` says in
``fixed-partitions``); ``address`` is the CPU address where the flash is
memory-mapped, when it is.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field


class UpgradeMode(str, enum.Enum):
    """MCUboot upgrade strategies; values are the names ``--mode`` takes."""

    SWAP_USING_SCRATCH = "swap-using-scratch"
    SWAP_USING_MOVE = "swap-using-move"
    SWAP_USING_OFFSET = "swap-using-offset"
    OVERWRITE_ONLY = "overwrite-only"
    DIRECT_XIP = "direct-xip"
    RAM_LOAD = "ram-load"
    FIRMWARE_LOADER = "firmware-loader"  # single slot + loader image

    @property
    def is_swap(self) -> bool:
        return self in (UpgradeMode.SWAP_USING_SCRATCH, UpgradeMode.SWAP_USING_MOVE,
                        UpgradeMode.SWAP_USING_OFFSET)


class PartitionStyle(str, enum.Enum):
    """How a partition is written in devicetree (Zephyr 4.4 added the mapped style)."""

    FIXED = "fixed-partitions"            # child of a ``compatible = "fixed-partitions"`` node
    SUBPARTITION = "fixed-subpartitions"  # child of a ``fixed-subpartitions`` partition (TF-M)
    MAPPED = "zephyr,mapped-partition"    # ``compatible`` on the partition itself, parents need ``ranges``


@dataclass(frozen=True)
class Source:
    """Where a value came from, for summaries: ``zephyr.dts:120 (&flash0 erase-block-size)``."""

    origin: str

    def __str__(self) -> str:
        return self.origin


@dataclass(frozen=True)
class FlashGeometry:
    """One flash device.

    ``sectors`` lists erase-sector sizes from offset 0 when they are not
    uniform (STM32F4: 4x16 KiB, 64 KiB, 7x128 KiB); empty means uniform
    ``erase_block``.
    """

    name: str                       # devicetree node path or label, e.g. "/soc/flash-controller@4001e000/flash@0"
    size: int                       # bytes
    erase_block: int                # bytes; the largest sector when non-uniform
    write_block: int                # bytes (MCUboot's BOOT_MAX_ALIGN follows it)
    base_address: int | None = None # CPU address when memory-mapped, else None
    sectors: tuple[int, ...] = ()   # non-uniform sector map, else ()
    erased_value: int = 0xFF
    external: bool = False          # not an on-chip flash (QSPI/SPI NOR)
    source: str = ""                # where the numbers came from

    def __post_init__(self) -> None:
        if self.size <= 0:
            raise ValueError(f"flash {self.name}: size must be positive, got {self.size}")
        for what, value in (("erase_block", self.erase_block), ("write_block", self.write_block)):
            if value <= 0 or value & (value - 1):
                raise ValueError(f"flash {self.name}: {what} must be a power of two, got {value}")
        if self.sectors and sum(self.sectors) != self.size:
            raise ValueError(
                f"flash {self.name}: sector map covers {sum(self.sectors):#x} bytes, size is {self.size:#x}")

    def sector_bounds(self) -> tuple[int, ...]:
        """Offsets of every sector boundary in ``[0, size]``."""
        if not self.sectors:
            return tuple(range(0, self.size + 1, self.erase_block))
        bounds = [0]
        for s in self.sectors:
            bounds.append(bounds[-1] + s)
        return tuple(bounds)

    def sectors_in(self, start: int, end: int) -> tuple[int, ...]:
        """Sizes of the sectors that exactly tile ``[start, end)``; ValueError if unaligned."""
        bounds = self.sector_bounds()
        bset = set(bounds)
        if start not in bset or end not in bset:
            raise ValueError(f"[{start:#x}, {end:#x}) is not on sector boundaries of {self.name}")
        inside = [b for b in bounds if start <= b <= end]
        return tuple(b - a for a, b in itertools.pairwise(inside))


@dataclass(frozen=True)
class Partition:
    """One partition: label as MCUboot/Zephyr name it (``slot0_partition``)."""

    label: str
    offset: int                      # within its flash device
    size: int
    flash: str                       # FlashGeometry.name
    node_path: str = ""              # devicetree path, for messages
    name: str = ""                   # the ``label = "..."`` property when present
    read_only: bool = False
    # Added for the devicetree reader (zephyr/devicetree.py); writers emit the same style.
    style: str = ""                  # PartitionStyle value: "fixed-partitions" | "fixed-subpartitions" | "zephyr,mapped-partition"
    address: int | None = None       # CPU address when its flash is memory-mapped, else None
    container: str = ""              # label of the enclosing partition (nested/subpartitions), else ""

    def __post_init__(self) -> None:
        if self.size <= 0:
            raise ValueError(f"partition {self.label}: size must be positive, got {self.size}")
        if self.offset < 0:
            raise ValueError(f"partition {self.label}: offset must not be negative, got {self.offset}")

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class Layout:
    """A set of partitions over one or more flash devices."""

    flashes: tuple[FlashGeometry, ...]
    partitions: tuple[Partition, ...]
    code_partition: str | None = None     # label chosen as zephyr,code-partition
    notes: tuple[str, ...] = field(default=())  # defaults taken, with reasons

    def flash(self, name: str) -> FlashGeometry:
        for f in self.flashes:
            if f.name == name:
                return f
        raise KeyError(name)

    def partition(self, label: str) -> Partition | None:
        for p in self.partitions:
            if p.label == label:
                return p
        return None
