"""Migration from Nordic's Partition Manager: ``pm_static.yml`` or a generated
``partitions.yml`` -> a ``Layout`` with the devicetree labels MCUboot expects.

Entry points: ``parse_pm(text, path)`` -> ``PmFile`` (its flash partitions,
in file order) and ``pm_to_layout(pm, flashes, internal, external)`` ->
``Migration`` (the ``Layout``, each PM partition's fate for the before/after
report, and notes).

Names (nRF Connect SDK's subsys/partition_manager/pm.yml.* and MCUboot's
pm.yml): ``mcuboot`` -> boot_partition; ``mcuboot_primary``/``_secondary``
-> slot0/slot1; ``mcuboot_primary_N``/``_secondary_N`` -> slot(2N)/slot(2N+1);
``mcuboot_scratch`` -> scratch_partition; ``settings_storage`` (else
``nvs_storage``) -> storage_partition; ``littlefs_storage`` -> lfs_partition.
Partitions that only subdivide a slot (``mcuboot_pad``, ``app``,
``mcuboot_primary_app``, TF-M's ``tfm``/``app`` spans) and the free
``external_flash`` remainder have no devicetree node of their own. Regions:
``flash_primary`` is the code flash, ``external_flash`` the external one;
RAM regions (``sram_primary``, nRF5340's ``ram_flash`` for network-core PCD
updates) have no flash partition and are reported as skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from zephyr_ota.errors import InputError
from zephyr_ota.layout.model import FlashGeometry, Layout, Partition
from zephyr_ota.layout.overlay_model import with_node_paths
from zephyr_ota.yamlio import load_yaml

FLASH_REGIONS = ("flash_primary", "external_flash")
SPLIT_NAMES = ("mcuboot_pad", "app", "mcuboot_primary_app", "tfm", "tfm_secure", "tfm_nonsecure",
               "tfm_app", "app_image", "mcuboot_secondary_app", "tfm_storage", "spm", "spm_app")
_SLOT = re.compile(r"^mcuboot_(primary|secondary)(?:_(\d+))?$")
FIXED_LABELS = {"mcuboot": ("boot_partition", "mcuboot"),
                "mcuboot_scratch": ("scratch_partition", "image-scratch"),
                "settings_storage": ("storage_partition", "storage"),
                "littlefs_storage": ("lfs_partition", "littlefs_storage")}


@dataclass(frozen=True)
class PmPartition:
    name: str
    address: int
    size: int
    region: str
    line: int
    span: tuple[str, ...] = ()
    device: str = ""

    @property
    def end(self) -> int:
        return self.address + self.size


@dataclass(frozen=True)
class PmFile:
    path: str
    partitions: tuple[PmPartition, ...]


@dataclass(frozen=True)
class Fate:
    """What became of one PM partition: a devicetree label, or why none."""

    pm: PmPartition
    label: str | None
    reason: str = ""


@dataclass(frozen=True)
class Migration:
    layout: Layout
    fates: tuple[Fate, ...]
    notes: tuple[str, ...] = field(default=())


def _int(value: Any, path: str, line: int, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{path}:{line}: {key}: expected an integer, got {value!r}")
    return value


def parse_pm(text: str, path: str) -> PmFile:
    """Partitions of a PM YAML; ``InputError`` naming file, line and key."""
    data, root = load_yaml(path, text)
    if not isinstance(data, dict) or root is None:
        raise InputError(f"{path}: expected a mapping of partition names, got "
                         f"{type(data).__name__}")
    lines = {k.value: k.start_mark.line + 1 for k, _ in root.value}
    parts = []
    for name, item in data.items():
        line = lines.get(name, 1)
        if not isinstance(item, dict):
            raise InputError(f"{path}:{line}: {name}: expected a mapping, got {item!r}")
        for key in ("address", "size"):
            if key not in item:
                raise InputError(f"{path}:{line}: {name}: missing '{key}'")
        address = _int(item["address"], path, line, f"{name}.address")
        size = _int(item["size"], path, line, f"{name}.size")
        end = item.get("end_address")
        if end is not None and _int(end, path, line, f"{name}.end_address") != address + size:
            raise InputError(f"{path}:{line}: {name}: end_address {end:#x} is not address + size "
                             f"{address + size:#x}")
        span = item.get("span") or ()
        parts.append(PmPartition(str(name), address, size, str(item.get("region", "flash_primary")),
                                 line, tuple(str(s) for s in span), str(item.get("device", ""))))
    return PmFile(path, tuple(parts))


def _label_for(name: str, has_settings: bool) -> tuple[str, str] | None:
    m = _SLOT.match(name)
    if m:
        image = int(m.group(2) or 0)
        slot = 2 * image + (m.group(1) == "secondary")
        return f"slot{slot}_partition", f"image-{slot}"
    if name == "nvs_storage" and not has_settings:
        return "storage_partition", "storage"
    return FIXED_LABELS.get(name)


def pm_to_layout(pm: PmFile, flashes: tuple[FlashGeometry, ...], internal: str,
                 external: str | None = None) -> Migration:
    """Map ``pm`` onto ``flashes`` (``internal`` for flash_primary, ``external`` for
    external_flash), keeping every address and size byte for byte."""
    names = {p.name for p in pm.partitions}
    region_flash = {"flash_primary": internal, "external_flash": external}
    fates: list[Fate] = []
    parts: list[Partition] = []
    notes: list[str] = []
    mapped: list[PmPartition] = []
    for p in pm.partitions:
        if p.region not in FLASH_REGIONS:
            fates.append(Fate(p, None, f"region {p.region} is not flash"))
            continue
        flash = region_flash[p.region]
        if flash is None:
            raise InputError(f"{pm.path}:{p.line}: {p.name}: region external_flash but no "
                             "external flash in the devicetree",
                             hint="pass the board's devicetree with its QSPI/SPI NOR node")
        label = _label_for(p.name, "settings_storage" in names)
        if label is None:
            continue
        parts.append(Partition(label[0], p.address, p.size, flash, name=label[1]))
        fates.append(Fate(p, label[0]))
        mapped.append(p)
    for p in pm.partitions:
        if p.region not in FLASH_REGIONS or any(f.pm is p for f in fates):
            continue
        fates.append(_unmapped_fate(p, mapped, region_flash, parts, notes))
    order = {p.name: i for i, p in enumerate(pm.partitions)}
    fates.sort(key=lambda f: order[f.pm.name])
    flash_order = [f.name for f in flashes]
    parts.sort(key=lambda q: (flash_order.index(q.flash), q.offset))
    code = "slot0_partition" if any(q.label == "slot0_partition" for q in parts) else None
    return Migration(Layout(flashes, with_node_paths(tuple(parts)), code_partition=code,
                            notes=tuple(notes)),
                     tuple(fates), tuple(notes))


def _unmapped_fate(p: PmPartition, mapped: list[PmPartition], region_flash: dict[str, str | None],
                   parts: list[Partition], notes: list[str]) -> Fate:
    inside = next((m for m in mapped if m.region == p.region and m.address <= p.address
                   and p.end <= m.end), None)
    if p.name == "external_flash":
        return Fate(p, None, "free space of the external flash")
    if inside is not None:
        if p.name == "mcuboot_pad":
            notes.append(f"mcuboot_pad ({p.size:#x}): MCUboot's image header inside "
                         f"{inside.name}; CONFIG_ROM_START_OFFSET={p.size:#x} keeps it")
        return Fate(p, None, f"inside {inside.name}")
    if p.span or p.name in SPLIT_NAMES:
        return Fate(p, None, "a span of other partitions")
    label = f"{re.sub(r'[^a-z0-9_]', '_', p.name.lower())}_partition"
    flash = region_flash[p.region]
    assert flash is not None
    parts.append(Partition(label, p.address, p.size, flash, name=p.name))
    notes.append(f"{p.name}: kept as {label} (no MCUboot label for it)")
    return Fate(p, label)
