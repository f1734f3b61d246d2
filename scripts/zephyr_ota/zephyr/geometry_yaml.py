"""Flash geometry given by the user in a small YAML file, for what the
devicetree cannot say (non-uniform sector maps, external NOR).

Entry point: ``load_geometry_yaml(path) -> GeometryFile``; each
``GeometryEntry`` keeps the line of every key so summaries and errors can
name ``geometry.yml:7``. The file is validated with pykwalify against
``geometry-schema.yml`` shipped beside this module; errors name file, line
and key, as ``geometry.yml:7: /flashes/0/write-block-size: Value 'x' is not
of type 'int'``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zephyr_ota.errors import InputError
from zephyr_ota.fileio import read_input
from zephyr_ota.layout.model import Source
from zephyr_ota.yamlio import load_yaml, yaml_text

if TYPE_CHECKING:  # yaml loads only when a geometry file is read (import time)
    import yaml

SCHEMA_PATH = Path(__file__).with_name("geometry-schema.yml")


@dataclass(frozen=True)
class GeometryEntry:
    """One ``flashes[]`` item; ``lines`` maps each given key to its line."""

    node: str
    path: str
    size: int | None = None
    erase_block: int | None = None
    write_block: int | None = None
    erased_value: int | None = None
    sectors: tuple[int, ...] = ()
    lines: dict[str, int] = field(default_factory=dict, compare=False)

    def source(self, key: str) -> Source:
        return Source(f"{self.path}:{self.lines.get(key, 0)} ({self.node} {key})")


@dataclass(frozen=True)
class GeometryFile:
    path: str
    entries: tuple[GeometryEntry, ...]

    def find(self, names: tuple[str, ...]) -> GeometryEntry | None:
        """The entry naming any of ``names`` (node path or labels)."""
        for e in self.entries:
            if e.node in names:
                return e
        return None


def _line_of(root: yaml.Node, path: str) -> int:
    """1-based line of the YAML node at a pykwalify path like ``/flashes/0/size``."""
    import yaml

    node = root
    for part in [p for p in path.split("/") if p]:
        if isinstance(node, yaml.MappingNode):
            hit = [(k, v) for k, v in node.value if k.value == part]
            if not hit:
                break
            node = hit[0][1] if not isinstance(hit[0][1], yaml.ScalarNode) else hit[0][0]
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
        else:
            break
    return node.start_mark.line + 1


def _has_key(data: Any, where: str, key: object) -> bool:
    """Whether the mapping at pykwalify path ``where`` in ``data`` holds ``key``."""
    for part in (p for p in where.split("/") if p):
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return False
    return isinstance(data, dict) and key in data


def _validate(data: Any, root: yaml.Node, path: str) -> None:
    import yaml
    from pykwalify.core import Core
    from pykwalify.errors import PyKwalifyException, SchemaError

    schema = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))
    # pykwalify logs every failure at ERROR level before raising; the raised
    # error carries the same text, which we report ourselves.
    logging.getLogger("pykwalify").setLevel(logging.CRITICAL)
    core = Core(source_data=data, schema_data=schema)
    try:
        core.validate(raise_exception=True)
    except SchemaError as e:
        first = core.errors[0] if core.errors else None
        where = (getattr(first, "path", "") if first else "") or "/"
        # pykwalify's message templates end in ". Path: '{path}'"; the path is
        # reported in front instead, with the file line.
        msg = str(first).split(". Path:")[0] if first else str(e.msg)
        # Entries about one key carry it: an unknown key is in the data (point at
        # it), a missing required key is not (point at its parent mapping).
        key = getattr(first, "key", None)
        if key is not None and _has_key(data, where, key):
            where = f"{where.rstrip('/')}/{key}"
        raise InputError(f"{path}:{_line_of(root, where)}: {where}: {msg}") from e
    except PyKwalifyException as e:
        raise InputError(f"{path}: {e.msg}") from e


def _entry(item: dict[str, Any], node: yaml.MappingNode, path: str) -> GeometryEntry:
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value}
    sectors: list[int] = []
    for run in item.get("sectors") or ():
        sectors.extend([run["size"]] * run["count"])
    if sectors and "erase-block-size" in item:
        raise InputError(f"{path}:{lines['sectors']}: {item['node']}: give either sectors or "
                         "erase-block-size, not both")
    return GeometryEntry(item["node"], path, item.get("size"), item.get("erase-block-size"),
                         item.get("write-block-size"), item.get("erased-value"),
                         tuple(sectors), lines)


def parse_geometry_yaml(text: str, path: str) -> GeometryFile:
    data, root = load_yaml(path, text)
    if root is None:
        raise InputError(f"{path}: empty geometry file; expected a 'flashes:' list")
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else repr(data)
        raise InputError(f"{path}:1: expected a mapping with a 'flashes:' list, got {found}")
    _validate(data, root, path)
    seq = [v for k, v in root.value if k.value == "flashes"][0]
    return GeometryFile(path, tuple(_entry(item, node, path)
                                    for item, node in zip(data["flashes"], seq.value, strict=True)))


def load_geometry_yaml(path: str | Path) -> GeometryFile:
    text = yaml_text(path, read_input(path, "flash geometry file"))
    return parse_geometry_yaml(text, str(path))
