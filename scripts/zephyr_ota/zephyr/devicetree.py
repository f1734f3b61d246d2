"""Read flash devices and partitions from a devicetree the way Zephyr does.

The only module importing dtlib. Entry points:

- ``load_devicetree(path, geometry=None, kconfig=None, include_path=()) -> DevicetreeInfo``
  parses a build's ``zephyr/zephyr.dts`` (already preprocessed) or a board
  ``.dts``: dtc-style ``/include/`` is handled by dtlib; a file with C
  preprocessor directives (``#include``, ``#define``) is run through ``cpp``
  first, as Zephyr's dts.cmake does (include dirs: the file's folder,
  ``include_path``, and Zephyr's ``include``/``dts`` folders when ZEPHYR_BASE
  is set). Without a ``cpp`` such a file is refused with a hint.
- ``image_pairs(layout)`` -> the (primary, secondary) slots per image.

Partitions are read in the three styles Zephyr uses (``PartitionStyle``):
children of ``compatible = "fixed-partitions"``; children of a
``fixed-subpartitions`` partition (TF-M boards); and Zephyr 4.4's
``compatible = "zephyr,mapped-partition"`` on each partition, whose parents
need ``ranges`` (dts/bindings/mtd/zephyr,mapped-partition.yaml). Addresses
are translated through ``ranges`` as edtlib does (``_translate`` in
edtlib.py: a parent without ``ranges`` ends the translation); a mapped
partition whose parents lack ``ranges`` is reported as a finding. Offsets
are relative to the flash device; ``Partition.address`` is the CPU address
when the flash is memory-mapped (``soc-nv-flash``).

dtlib is Zephyr's own copy under ``$ZEPHYR_BASE/scripts/dts/python-devicetree/src``
when ZEPHYR_BASE is set and that folder exists, else the PyPI ``devicetree``.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from zephyr_ota.errors import InputError
from zephyr_ota.fileio import read_input
from zephyr_ota.layout.model import FlashGeometry, Layout, Partition, PartitionStyle, Source
from zephyr_ota.zephyr.dtaddr import ranges_of, reg_of, translate, translate_lenient
from zephyr_ota.zephyr.flashgeom import FlashQuery, compatibles, resolve_flash
from zephyr_ota.zephyr.geometry_yaml import GeometryFile
from zephyr_ota.zephyr.kconfig import KconfigFile

log = logging.getLogger(__name__)

FIXED, SUB, MAPPED = "fixed-partitions", "fixed-subpartitions", "zephyr,mapped-partition"
FLASH_COMPATS = ("soc-nv-flash", "jedec,spi-nor", "nordic,qspi-nor", "jedec,mspi-nor")
_CPP = re.compile(r"^\s*#\s*(include|define|if|ifdef)\b", re.M)


def _dtlib() -> Any:
    base = os.environ.get("ZEPHYR_BASE")
    if base:
        src = Path(base) / "scripts" / "dts" / "python-devicetree" / "src"
        if (src / "devicetree" / "dtlib.py").is_file() and str(src) not in sys.path:
            if "devicetree" in sys.modules:
                log.debug("devicetree already imported; not switching to %s", src)
            else:
                sys.path.insert(0, str(src))
    from devicetree import dtlib
    log.debug("using dtlib from %s", dtlib.__file__)
    return dtlib


@dataclass(frozen=True)
class DtFinding:
    """A problem in a readable devicetree (not fatal to reading)."""

    code: str            # e.g. "mapped-partition-without-ranges"
    node_path: str
    message: str


@dataclass(frozen=True)
class DevicetreeInfo:
    """What a devicetree says about flash: ``layout`` plus provenance."""

    path: str
    layout: Layout
    chosen_flash: str | None = None                       # FlashGeometry.name
    flash_sources: Mapping[str, Mapping[str, Source]] = field(default_factory=dict)
    findings: tuple[DtFinding, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "flash_sources", MappingProxyType(
            {k: MappingProxyType(dict(v)) for k, v in self.flash_sources.items()}))

    @property
    def styles(self) -> frozenset[str]:
        return frozenset(p.style for p in self.layout.partitions)

    @property
    def style(self) -> str | None:
        """The style the board writes its top-level partitions in (for writers)."""
        tops = [p.style for p in self.layout.partitions if not p.container]
        return max(set(tops), key=tops.count) if tops else None


def zephyr_include_dirs() -> tuple[Path, ...]:
    """Include folders Zephyr's dts.cmake gives cpp, when ZEPHYR_BASE is set."""
    base = os.environ.get("ZEPHYR_BASE")
    if not base:
        return ()
    root = Path(base)
    dirs = [root / "include", root / "include" / "zephyr", root / "dts" / "common", root / "dts"]
    if (root / "dts").is_dir():
        dirs += sorted(p for p in (root / "dts").iterdir() if p.is_dir())
    return tuple(d for d in dirs if d.is_dir())


def _preprocess(path: Path, include_path: tuple[str, ...], out: Path) -> None:
    """Run the C preprocessor as Zephyr does (cmake/modules/dts.cmake), keeping
    line markers so dtlib's errors still name the original file and line."""
    cpp = shutil.which(os.environ.get("CPP", "cpp"))
    if cpp is None:
        raise InputError(f"{path}: has C preprocessor directives and no cpp was found",
                         hint="install cpp, or pass the build's zephyr/zephyr.dts")
    dirs = [path.parent, *map(Path, include_path), *zephyr_include_dirs()]
    cmd = [cpp, "-x", "assembler-with-cpp", "-nostdinc", "-undef", "-D__DTS__", "-E",
           *[f"-I{d}" for d in dirs], str(path), "-o", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        lines = [ln for ln in res.stderr.splitlines() if "error" in ln] or res.stderr.splitlines()
        raise InputError(lines[0].strip() if lines else f"{path}: cpp failed ({res.returncode})")


def parse_dts(path: str | Path, include_path: tuple[str, ...] = ()) -> Any:
    """dtlib.DT for ``path``; parse errors become ``InputError`` naming file:line.

    A file with C preprocessor directives (a board ``.dts`` with ``#include``)
    is first run through ``cpp`` when one is installed.
    """
    dtlib = _dtlib()
    path = Path(path)
    raw = read_input(path, "devicetree file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text: byte 0x{raw[e.start]:02X} "
                         "cannot start or continue a UTF-8 character") from e
    with tempfile.TemporaryDirectory(prefix="zephyr-ota-dts-") as tmp:
        source = path
        if _CPP.search(text):
            source = Path(tmp) / path.name
            _preprocess(path, include_path, source)
        try:
            return dtlib.DT(str(source), include_path=(str(path.parent), *include_path))
        except dtlib.DTError as e:
            msg = str(e)
            located = msg.startswith(str(path)) or re.match(r"\S+:\d+ ", msg)
            raise InputError(msg if located else f"{path}: {msg}") from e
        except OSError as e:
            raise InputError(f"{path}: {e.strerror}: {e.filename}") from e


def partition_style(node: Any) -> str | None:
    """The style ``node`` is written in, or None when it is not a partition."""
    if MAPPED in compatibles(node):
        return PartitionStyle.MAPPED.value
    parent_compats = compatibles(node.parent) if node.parent is not None else ()
    if FIXED in parent_compats:
        return PartitionStyle.FIXED.value
    if SUB in parent_compats:
        return PartitionStyle.SUBPARTITION.value
    return None


def _flash_of(node: Any) -> Any:
    parent = node.parent
    while parent is not None and (partition_style(parent) or FIXED in compatibles(parent)
                                  or parent.name == "partitions"):
        parent = parent.parent
    return parent


def _container_of(node: Any, flash: Any) -> Any:
    parent = node.parent
    while parent is not None and parent is not flash:
        if partition_style(parent):
            return parent
        parent = parent.parent
    return None


def label_of(node: Any) -> str:
    """The node label MCUboot/Zephyr name it by (``slot0_partition``), else the node name."""
    labels = list(node.labels)
    for lab in labels:
        if lab.endswith("_partition"):
            return lab
    return labels[0] if labels else node.name


def _enabled(node: Any) -> bool:
    status = node.props.get("status")
    return status is None or status.to_string() in ("okay", "ok")


@dataclass
class _Scan:
    """Mutable accumulator while walking one tree (internal)."""

    dts: str
    findings: list[DtFinding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flashes: dict[str, Any] = field(default_factory=dict)      # path -> node
    parts: list[tuple[Any, Any, str]] = field(default_factory=list)  # node, flash, style


def _reg(scan: _Scan, node: Any) -> tuple[int, int]:
    reg = reg_of(node)
    if reg is None:
        raise InputError(f"{scan.dts}: {node.path}: partition has no valid reg property")
    return reg


def _offset(scan: _Scan, node: Any, flash: Any, style: str) -> int:
    reg = _reg(scan, node)
    if style == PartitionStyle.MAPPED.value:
        addr, lacking = translate_lenient(reg[0], node, flash)
        for parent in lacking:
            scan.findings.append(DtFinding(
                "mapped-partition-without-ranges", node.path,
                f"{scan.dts}: {node.path}: parent {parent.path} has no 'ranges' property; "
                "Zephyr cannot map this zephyr,mapped-partition (add 'ranges;')"))
        return addr
    addr, stopped = translate(reg[0], node, flash)
    if stopped is not None and SUB in compatibles(stopped):
        scan.findings.append(DtFinding(
            "subpartition-without-ranges", node.path,
            f"{scan.dts}: {node.path}: fixed-subpartitions parent {stopped.path} has no "
            "'ranges'; its reg is taken as an offset in the flash device"))
    return addr


def _check_mapped_flash(scan: _Scan, flash: Any, node: Any) -> None:
    """The mapped binding needs ``ranges`` on the NVM node and its controller."""
    for anc in (flash, flash.parent):
        if anc is not None and anc.parent is not None and ranges_of(anc) is None:
            code = "mapped-partition-without-ranges"
            if not any(f.code == code and f.node_path == anc.path for f in scan.findings):
                scan.findings.append(DtFinding(code, anc.path, (
                    f"{scan.dts}: {anc.path}: no 'ranges' property, so the "
                    f"zephyr,mapped-partition {node.path} is not mapped to a CPU address "
                    "(add 'ranges;')")))


def _chosen(dt: Any, name: str) -> Any:
    if not dt.has_node("/chosen"):
        return None
    prop = dt.get_node("/chosen").props.get(name)
    if prop is None:
        return None
    dtlib = _dtlib()
    try:
        return prop.to_path()
    except dtlib.DTError:  # a phandle (<&label>) rather than a path reference
        try:
            return prop.to_node()
        except dtlib.DTError as e:
            raise InputError(f"{dt.filename}: /chosen {name}: expected a node reference, "
                             f"got {prop}") from e


def _collect(dt: Any, scan: _Scan) -> None:
    for node in dt.node_iter():
        style = partition_style(node)
        if style is None or not _enabled(node):
            if style is not None:
                scan.notes.append(f"{node.path}: status disabled, not in the flash map")
            continue
        flash = _flash_of(node)
        if flash is None:
            raise InputError(f"{scan.dts}: {node.path}: partition outside any flash device")
        scan.flashes[flash.path] = flash
        scan.parts.append((node, flash, style))
    for node in dt.node_iter():
        if _enabled(node) and any(c in FLASH_COMPATS for c in compatibles(node)):
            scan.flashes.setdefault(node.path, node)


@dataclass(frozen=True)
class _Ctx:
    geometry: GeometryFile | None
    kconfig: KconfigFile | None
    chosen_flash: Any


def _flash_geometry(scan: _Scan, node: Any, ctx: _Ctx) -> tuple[FlashGeometry | None, dict]:
    reg = reg_of(node)
    mapped = "soc-nv-flash" in compatibles(node) or node is ctx.chosen_flash
    base = translate(reg[0], node)[0] if (reg and mapped) else None
    names = (node.path, *node.labels)
    res = resolve_flash(FlashQuery(node, scan.dts, reg, base, ctx.geometry, ctx.kconfig, names))
    if res.geometry is None:
        holds = any(f is node for _, f, _ in scan.parts)
        if holds:
            label = node.labels[0] if node.labels else node.path
            raise InputError(
                f"{scan.dts}: {node.path}: {', '.join(res.missing)} unknown: not in the "
                "devicetree, not in a geometry file, no driver default",
                hint=f"give it in a geometry YAML: flashes: [{{node: {label}, "
                     "erase-block-size: ..., write-block-size: ...}]")
        log.debug("%s: skipping flash %s without geometry", scan.dts, node.path)
    return res.geometry, res.sources


def _partition(scan: _Scan, node: Any, flash: Any, style: str, geom: FlashGeometry) -> Partition:
    offset = _offset(scan, node, flash, style)
    if style == PartitionStyle.MAPPED.value and geom.base_address is not None:
        _check_mapped_flash(scan, flash, node)
    container = _container_of(node, flash)
    name = node.props.get("label")
    try:
        return Partition(
            label=label_of(node), offset=offset, size=_reg(scan, node)[1], flash=flash.path,
            node_path=node.path, name=name.to_string() if name is not None else "",
            read_only="read-only" in node.props, style=style,
            address=None if geom.base_address is None else geom.base_address + offset,
            container=label_of(container) if container is not None else "")
    except ValueError as e:
        raise InputError(f"{scan.dts}: {node.path}: {e}") from e


def load_devicetree(path: str | Path, geometry: GeometryFile | None = None,
                    kconfig: KconfigFile | None = None,
                    include_path: tuple[str, ...] = ()) -> DevicetreeInfo:
    """Flash devices, partitions and chosen nodes of the devicetree at ``path``.

    ``geometry`` (a user YAML) and ``kconfig`` (the image's ``.config``, for
    external NOR page sizes) fill what the devicetree cannot say.
    """
    dt = parse_dts(path, include_path)
    scan = _Scan(str(path))
    _collect(dt, scan)
    ctx = _Ctx(geometry, kconfig, _chosen(dt, "zephyr,flash"))
    flashes: dict[str, FlashGeometry] = {}
    sources: dict[str, dict[str, Source]] = {}
    for fpath, node in scan.flashes.items():
        geom, src = _flash_geometry(scan, node, ctx)
        if geom is not None:
            flashes[fpath], sources[fpath] = geom, src
    parts = tuple(_partition(scan, n, f, s, flashes[f.path]) for n, f, s in scan.parts)
    code = _chosen(dt, "zephyr,code-partition")
    layout = Layout(tuple(flashes.values()), parts,
                    code_partition=label_of(code) if code is not None else None,
                    notes=tuple(scan.notes))
    chosen_flash = ctx.chosen_flash.path if ctx.chosen_flash is not None else None
    return DevicetreeInfo(str(path), layout, chosen_flash, sources, tuple(scan.findings))


def slot_labels(image: int) -> tuple[str, str]:
    """MCUboot's labels for image ``image``: slot(2N)_partition, slot(2N+1)_partition."""
    return f"slot{2 * image}_partition", f"slot{2 * image + 1}_partition"


def image_pairs(layout: Layout) -> tuple[tuple[Partition, Partition | None], ...]:
    """(primary, secondary) per image, from slot0/slot1, slot2/slot3, ... labels."""
    pairs: list[tuple[Partition, Partition | None]] = []
    image = 0
    while True:
        primary_label, secondary_label = slot_labels(image)
        primary = layout.partition(primary_label)
        if primary is None:
            return tuple(pairs)
        pairs.append((primary, layout.partition(secondary_label)))
        image += 1
