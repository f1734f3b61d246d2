"""What a devicetree overlay for a layout contains, ready for a template.

Entry point: ``overlay_model(layout, style, for_mcuboot)`` -> ``OverlayModel``.
Pure data; ``zephyr_ota.render`` turns it into text with
``templates/overlay.dts.j2``.

Each flash that holds partitions gets one block that deletes the board's
``partitions`` node and writes a new one (so labels and unit addresses of
the board's partitions cannot clash with ours). Styles:

* ``fixed``: ``compatible = "fixed-partitions"`` on the ``partitions`` node;
* ``mapped`` (Zephyr 4.4, dts/bindings/mtd/zephyr,mapped-partition.yaml):
  ``compatible = "zephyr,mapped-partition"`` on each partition, and
  ``ranges`` on every parent up to the root so the partition's address
  translates to the CPU address: ``ranges;`` on ``partitions`` and the
  ancestors (identity maps, as MCU buses are), ``ranges = <0x0 base size>``
  on the flash node. External (not memory-mapped) NOR keeps fixed-partitions.

Nodes are referenced by path (``&{/soc/...}``) because ``FlashGeometry.name``
is the node path the devicetree reader gives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from zephyr_ota.errors import UsageError
from zephyr_ota.layout.model import FlashGeometry, Layout, Partition

STYLES = ("fixed", "mapped")


@dataclass(frozen=True)
class DtPartition:
    label: str
    unit: str                  # unit address: hex without 0x
    offset: int
    size: int
    name: str
    read_only: bool
    mapped: bool


@dataclass(frozen=True)
class DtFlashBlock:
    ref: str                   # "&{/soc/flash-controller@4001e000/flash@0}" or "&flash0"
    flash: str
    ranges: str | None         # value for the flash node's ranges (mapped style)
    fixed: bool                # partitions node carries compatible = "fixed-partitions"
    partitions: tuple[DtPartition, ...]


@dataclass(frozen=True)
class OverlayModel:
    style: str
    blocks: tuple[DtFlashBlock, ...]
    ranges_parents: tuple[str, ...]      # refs of ancestors that get ``ranges;``
    code_partition: str | None


def with_node_paths(parts: tuple[Partition, ...]) -> tuple[Partition, ...]:
    """Give partitions without one the node path the overlay will write them at."""
    return tuple(replace(p, node_path=f"{p.flash}/partitions/partition@{p.offset:x}")
                 if not p.node_path and p.flash.startswith("/") else p for p in parts)


def node_ref(name: str) -> str:
    """``&{/path}`` for a node path, ``&label`` for a label."""
    return f"&{{{name}}}" if name.startswith("/") else f"&{name}"


def _ancestors(path: str) -> list[str]:
    if not path.startswith("/"):
        return []
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts))]


def _mapped(flash: FlashGeometry, style: str) -> bool:
    return style == "mapped" and flash.base_address is not None and not flash.external


def overlay_model(layout: Layout, style: str, for_mcuboot: bool = False) -> OverlayModel:
    """The overlay content for ``layout`` in ``style`` (``fixed`` or ``mapped``)."""
    if style not in STYLES:
        raise UsageError(f"--style: expected one of {', '.join(STYLES)}, got {style}")
    blocks = []
    parents: list[str] = []
    for flash in layout.flashes:
        parts = sorted((p for p in layout.partitions if p.flash == flash.name and not p.container),
                       key=lambda p: p.offset)
        if not parts:
            continue
        mapped = _mapped(flash, style)
        ranges = f"<0x0 {flash.base_address:#x} {flash.size:#x}>" if mapped else None
        if mapped:
            parents += [a for a in _ancestors(flash.name) if a not in parents]
        blocks.append(DtFlashBlock(
            node_ref(flash.name), flash.name, ranges, not mapped,
            tuple(DtPartition(p.label, f"{p.offset:x}", p.offset, p.size, p.name or
                              p.label.removesuffix("_partition"), p.read_only, mapped)
                  for p in parts)))
    code = "boot_partition" if for_mcuboot else layout.code_partition
    return OverlayModel(style, tuple(blocks), tuple(node_ref(a) for a in parents), code)
