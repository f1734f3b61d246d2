"""Resolve one flash device's geometry (size, erase and write block, sector
map, CPU base address) and record where each number came from.

Entry point: ``resolve_flash(FlashQuery) -> ResolvedFlash``. Called by
``zephyr.devicetree`` with dtlib nodes; it never imports dtlib itself (the
node is used through ``props``/``parent`` only).

Order per number, first hit wins:
1. the user's geometry YAML (``geometry_yaml``),
2. the devicetree: ``reg``/``size`` on the flash node, ``erase-block-size``
   and ``write-block-size`` on the node or an ancestor (``soc-nv-flash``
   nodes carry them; Zephyr's flash controller drivers read them there),
3. facts tables below: STM32F4's mixed sector map (RM0090 section 3.3,
   "Flash module organization"), external NOR drivers' Kconfig page size
   (``CONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE`` in
   drivers/flash/Kconfig.nordic_qspi_nor, ``CONFIG_SPI_NOR_FLASH_LAYOUT_PAGE_SIZE``
   in drivers/flash/Kconfig.nor, both ``default 65536``) read from the
   build's ``.config`` when given, and the drivers' ``write_block_size``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zephyr_ota.errors import InputError
from zephyr_ota.layout.model import FlashGeometry, Source
from zephyr_ota.zephyr.geometry_yaml import GeometryFile
from zephyr_ota.zephyr.kconfig import KconfigFile

KIB = 1024

# External NOR bindings (dts/bindings/mtd/jedec,spi-nor*.yaml, nordic,qspi-nor.yaml)
# give ``size`` in bits and no erase/write sizes. Zephyr's drivers expose the
# flash page layout from a Kconfig option; write_block_size is a driver
# constant (nrf_qspi_nor.c: 4, word-aligned QSPI writes; spi_nor.c: 1).
EXTERNAL_NOR = {
    "nordic,qspi-nor": ("CONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE", 65536, 4,
                        "drivers/flash/nrf_qspi_nor.c"),
    "jedec,spi-nor": ("CONFIG_SPI_NOR_FLASH_LAYOUT_PAGE_SIZE", 65536, 1,
                      "drivers/flash/spi_nor.c"),
    "jedec,mspi-nor": ("CONFIG_SPI_NOR_FLASH_LAYOUT_PAGE_SIZE", 65536, 1,
                       "drivers/flash/flash_mspi_nor.c"),
}
MEMORY_MAPPED = ("soc-nv-flash",)


def _stm32f4_sectors(size: int) -> tuple[int, ...] | None:
    """RM0090 3.3: per bank 4x16 KiB, 1x64 KiB, then 128 KiB sectors."""
    bank = size // 2 if size == 2048 * KIB else size
    if bank < 128 * KIB or (bank - 128 * KIB) % (128 * KIB):
        return None
    one = (16 * KIB,) * 4 + (64 * KIB,) + (128 * KIB,) * ((bank - 128 * KIB) // (128 * KIB))
    return one * (size // bank)


# Controller compatible -> (sector map function, source text).
SECTOR_TABLES = {
    "st,stm32f4-flash-controller": (_stm32f4_sectors,
                                    "STM32F4 sector map (RM0090 3.3), built-in table"),
}


def compatibles(node: Any) -> tuple[str, ...]:
    prop = node.props.get("compatible")
    return tuple(prop.to_strings()) if prop is not None else ()


def _prop_int(node: Any, name: str) -> int | None:
    prop = node.props.get(name)
    return prop.to_num() if prop is not None else None


@dataclass(frozen=True)
class FlashQuery:
    """What ``resolve_flash`` needs: the dtlib node, its reg, where it came from."""

    node: Any
    dts_path: str
    reg: tuple[int, int] | None           # (address in parent space, size)
    base_address: int | None              # CPU address, already translated
    geometry: GeometryFile | None = None
    kconfig: KconfigFile | None = None
    names: tuple[str, ...] = field(default=())   # path and labels, for YAML lookup


@dataclass(frozen=True)
class ResolvedFlash:
    geometry: FlashGeometry | None
    sources: dict[str, Source]
    missing: tuple[str, ...]              # numbers nobody could give


def _dt(q: FlashQuery, prop: str, node: Any | None = None) -> Source:
    return Source(f"{q.dts_path} ({(node or q.node).path} {prop})")


def _inherited(q: FlashQuery, prop: str) -> tuple[int, Source] | None:
    node = q.node
    while node is not None:
        value = _prop_int(node, prop)
        if value is not None:
            return value, _dt(q, prop, node)
        node = node.parent
    return None


def _size(q: FlashQuery, ext: tuple[str, ...]) -> tuple[int, Source] | None:
    entry = q.geometry.find(q.names) if q.geometry else None
    if entry and entry.size:
        return entry.size, entry.source("size")
    bits = _prop_int(q.node, "size")
    if ext and bits:
        return bits // 8, _dt(q, "size (bits)")
    if q.reg and q.reg[1]:
        return q.reg[1], _dt(q, "reg")
    if bits:
        return bits // 8, _dt(q, "size (bits)")
    return None


def _erase(q: FlashQuery, size: int, ext: tuple[str, ...]) -> tuple[int, tuple[int, ...], Source] | None:
    entry = q.geometry.find(q.names) if q.geometry else None
    if entry and entry.sectors:
        if sum(entry.sectors) != size:
            raise InputError(f"{entry.source('sectors').origin.split(' ')[0]}: {entry.node}: "
                             f"sectors cover {sum(entry.sectors):#x} bytes, expected the flash "
                             f"size {size:#x}")
        return max(entry.sectors), entry.sectors, entry.source("sectors")
    if entry and entry.erase_block:
        return entry.erase_block, (), entry.source("erase-block-size")
    hit = _inherited(q, "erase-block-size")
    if hit:
        return hit[0], (), hit[1]
    parent = q.node.parent
    for compat in compatibles(parent) if parent is not None else ():
        if compat in SECTOR_TABLES:
            fn, text = SECTOR_TABLES[compat]
            sectors = fn(size)
            if sectors:
                return max(sectors), sectors, Source(text)
    if ext:
        symbol, default, _, _ = EXTERNAL_NOR[ext[0]]
        value = q.kconfig.integer(symbol) if q.kconfig else None
        if value is not None and q.kconfig is not None:
            return value, (), q.kconfig.source(symbol)
        return default, (), Source(f"Kconfig default of {symbol} ({default}), no .config given"
                                   if q.kconfig is None else
                                   f"Kconfig default of {symbol} ({default}), not in {q.kconfig.path}")
    return None


def _write(q: FlashQuery, ext: tuple[str, ...]) -> tuple[int, Source] | None:
    entry = q.geometry.find(q.names) if q.geometry else None
    if entry and entry.write_block:
        return entry.write_block, entry.source("write-block-size")
    hit = _inherited(q, "write-block-size")
    if hit:
        return hit
    if ext:
        _, _, wbs, driver = EXTERNAL_NOR[ext[0]]
        return wbs, Source(f"{driver} write_block_size ({wbs}), driver constant")
    return None


def resolve_flash(q: FlashQuery) -> ResolvedFlash:
    """Geometry of ``q.node``, or ``missing`` naming what could not be found."""
    ext = tuple(c for c in compatibles(q.node) if c in EXTERNAL_NOR)
    sources: dict[str, Source] = {}
    size = _size(q, ext)
    if size is None:
        return ResolvedFlash(None, sources, ("size",))
    sources["size"] = size[1]
    erase = _erase(q, size[0], ext)
    write = _write(q, ext)
    missing = tuple(n for n, v in (("erase-block-size", erase), ("write-block-size", write))
                    if v is None)
    if erase is None or write is None:
        return ResolvedFlash(None, sources, missing)
    sources["erase_block"], sources["write_block"] = erase[2], write[1]
    entry = q.geometry.find(q.names) if q.geometry else None
    erased = entry.erased_value if entry and entry.erased_value is not None else 0xFF
    try:
        geom = FlashGeometry(
            name=q.node.path, size=size[0], erase_block=erase[0], write_block=write[0],
            base_address=q.base_address, sectors=erase[1], erased_value=erased,
            external=bool(ext) or not any(c in MEMORY_MAPPED for c in compatibles(q.node)),
            source="; ".join(f"{k} from {v}" for k, v in sources.items()))
    except ValueError as e:
        raise InputError(f"{q.dts_path}: {q.node.path}: {e}") from e
    return ResolvedFlash(geom, sources, ())
