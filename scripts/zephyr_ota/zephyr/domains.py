"""Small build-directory files: sysbuild's ``domains.yaml``, ``CMakeCache.txt``
and ``build_info.yml``.

Entry points: ``load_domains(build) -> Domains | None`` (None for a
single-image build), ``load_cmake_cache(path) -> dict``,
``load_build_info(path) -> BuildInfo``.

``domains.yaml`` (written by sysbuild, share/sysbuild/cmake/domains.cmake)
holds ``default``, ``build_dir`` and ``domains: [{name, build_dir}]`` plus
``flash_order``. Its paths are absolute; when the build directory was
moved, a domain is looked up as ``<build>/<name>`` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zephyr_ota.errors import InputError
from zephyr_ota.fileio import read_input
from zephyr_ota.layout.model import Source
from zephyr_ota.yamlio import load_yaml, yaml_text

_CACHE = re.compile(r"([^#/][^:=]*):([A-Z]+)=(.*)")


@dataclass(frozen=True)
class Domain:
    name: str
    build_dir: Path
    source: Source


@dataclass(frozen=True)
class Domains:
    path: Path
    default: str
    domains: tuple[Domain, ...]
    flash_order: tuple[str, ...] = ()

    def get(self, name: str) -> Domain | None:
        for d in self.domains:
            if d.name == name:
                return d
        return None


def _yaml(path: Path, what: str) -> tuple[Any, str]:
    text = yaml_text(path, read_input(path, what))
    return load_yaml(path, text)[0], text


def _line(text: str, needle: str) -> int:
    for n, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return n
    return 0


def _domain(item: Any, build: Path, path: Path, text: str) -> Domain:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise InputError(f"{path}: domains: expected entries with 'name' and 'build_dir', "
                         f"got {item!r}")
    name = item["name"]
    given = Path(str(item.get("build_dir") or build / name))
    # A moved or copied build keeps stale absolute paths; fall back to <build>/<name>.
    build_dir = given if given.is_dir() else build / name
    return Domain(name, build_dir, Source(f"{path}:{_line(text, f'name: {name}')}"))


def load_domains(build: Path) -> Domains | None:
    """``<build>/domains.yaml``, or None when the build is not a sysbuild build."""
    path = build / "domains.yaml"
    if not path.exists():
        return None
    data, text = _yaml(path, "sysbuild domains file")
    if not isinstance(data, dict) or not isinstance(data.get("domains"), list) \
            or not data["domains"]:
        raise InputError(f"{path}: expected a mapping with a non-empty 'domains' list")
    domains = tuple(_domain(item, build, path, text) for item in data["domains"])
    default = data.get("default")
    if not isinstance(default, str) or default not in {d.name for d in domains}:
        raise InputError(f"{path}:{_line(text, 'default')}: default: expected one of "
                         f"{', '.join(d.name for d in domains)}, got {default!r}")
    order = tuple(str(x) for x in data.get("flash_order") or ())
    return Domains(path, default, domains, order)


def load_cmake_cache(path: Path) -> dict[str, tuple[str, Source]]:
    """``NAME:TYPE=VALUE`` entries of a CMakeCache.txt with their line; {} if absent."""
    if not path.exists():
        return {}
    out: dict[str, tuple[str, Source]] = {}
    text = read_input(path, "CMake cache").decode("utf-8", errors="replace")
    for n, line in enumerate(text.splitlines(), 1):
        m = _CACHE.fullmatch(line.strip())
        if m:
            out[m.group(1)] = (m.group(3), Source(f"{path}:{n}"))
    return out


@dataclass(frozen=True)
class BuildInfo:
    """Provenance from ``build_info.yml`` (Zephyr >= 3.7); fields None when absent."""

    path: Path | None = None
    zephyr_version: str | None = None
    zephyr_base: str | None = None
    board: str | None = None              # name[/qualifiers]
    board_revision: str | None = None
    app_source_dir: str | None = None
    west_topdir: str | None = None


def _dig(data: Any, *keys: str) -> str | None:
    for k in keys:
        if not isinstance(data, dict) or k not in data:
            return None
        data = data[k]
    return None if data is None or isinstance(data, (dict, list)) else str(data)


def load_build_info(path: Path) -> BuildInfo:
    if not path.exists():
        return BuildInfo()
    data, _ = _yaml(path, "build_info.yml")
    board = _dig(data, "cmake", "board", "name")
    qualifiers = _dig(data, "cmake", "board", "qualifiers")
    if board and qualifiers:
        board = f"{board}/{qualifiers}"
    return BuildInfo(path, _dig(data, "cmake", "zephyr", "version"),
                     _dig(data, "cmake", "zephyr", "zephyr-base"), board,
                     _dig(data, "cmake", "board", "revision"),
                     _dig(data, "cmake", "application", "source-dir"),
                     _dig(data, "west", "topdir"))
