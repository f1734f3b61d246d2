"""Read a Kconfig ``.config`` file (as written by Zephyr's kconfig.py) into a
frozen mapping whose values remember their file and line.

Entry points: ``load_config(path) -> KconfigFile`` and ``parse_config(text,
path) -> KconfigFile``. Accepted lines (Kconfiglib's ``write_config`` format):
``NAME=y|n|m``, ``NAME="string"`` (``\\"`` and ``\\\\`` escaped),
``NAME=123`` / ``NAME=0x1f``, ``# NAME is not set`` (recorded as ``n``),
other ``#`` comments and blank lines. Names keep their prefix (``CONFIG_``,
``SB_CONFIG_``); typed accessors (``flag``, ``string``, ``integer``) convert on
demand so a wrong type is reported with the line it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from zephyr_ota.errors import InputError
from zephyr_ota.fileio import read_input
from zephyr_ota.layout.model import Source

_ASSIGN = re.compile(r"([A-Za-z0-9_]+)=(.*)")
_NOT_SET = re.compile(r"#\s*([A-Za-z0-9_]+) is not set\s*")
_INT = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|[0-9]+)")


@dataclass(frozen=True)
class KconfigValue:
    """One assignment: ``raw`` is the text after ``=`` with quotes removed
    for strings (``is_string`` tells which)."""

    name: str
    raw: str
    path: str
    line: int
    is_string: bool = False

    @property
    def source(self) -> Source:
        return Source(f"{self.path}:{self.line}")

    def where(self) -> str:
        return f"{self.path}:{self.line}: {self.name}"


def _unquote(text: str, where: str) -> str:
    if len(text) < 2 or not text.endswith('"'):
        raise InputError(f"{where}: unterminated string {text}")
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(body[i + 1])
            i += 2
            continue
        if ch == '"':
            raise InputError(f"{where}: unescaped quote inside string {text}")
        out.append(ch)
        i += 1
    return "".join(out)


def _parse_line(line: str, path: str, lineno: int) -> KconfigValue | None:
    text = line.strip()
    if not text:
        return None
    if text.startswith("#"):
        m = _NOT_SET.fullmatch(text)
        return KconfigValue(m.group(1), "n", path, lineno) if m else None
    m = _ASSIGN.fullmatch(text)
    if not m:
        raise InputError(f"{path}:{lineno}: expected NAME=value or '# NAME is not set', "
                         f"got {text!r}")
    name, value = m.group(1), m.group(2)
    if value.startswith('"'):
        return KconfigValue(name, _unquote(value, f"{path}:{lineno}: {name}"), path, lineno, True)
    return KconfigValue(name, value, path, lineno)


@dataclass(frozen=True)
class KconfigFile(Mapping[str, KconfigValue]):
    """The assignments of one ``.config``; later assignments win, as in Kconfig."""

    path: str
    entries: Mapping[str, KconfigValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", MappingProxyType(dict(self.entries)))

    def __getitem__(self, name: str) -> KconfigValue:
        return self.entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def source(self, name: str) -> Source:
        """``file:line`` of ``name``, or ``file (not set: default)`` when absent."""
        v = self.entries.get(name)
        return v.source if v else Source(f"{self.path} ({name} absent: default)")

    def flag(self, name: str) -> bool:
        """True only for ``=y``; ``n``, ``# ... is not set`` and absence are False."""
        v = self.entries.get(name)
        if v is None:
            return False
        if v.is_string or v.raw not in ("y", "n", "m"):
            raise InputError(f"{v.where()}: expected y or n, got {v.raw!r}")
        return v.raw == "y"

    def string(self, name: str, default: str | None = None) -> str | None:
        v = self.entries.get(name)
        if v is None or (not v.is_string and v.raw == "n"):
            return default
        if not v.is_string:
            raise InputError(f"{v.where()}: expected a quoted string, got {v.raw}")
        return v.raw

    def integer(self, name: str, default: int | None = None) -> int | None:
        v = self.entries.get(name)
        if v is None or (not v.is_string and v.raw == "n"):
            return default
        if v.is_string or not _INT.fullmatch(v.raw):
            raise InputError(f"{v.where()}: expected an integer, got {v.raw!r}")
        return int(v.raw, 0)

    def with_prefix(self, prefix: str) -> tuple[str, ...]:
        """Names set to ``y`` that start with ``prefix`` (choice members)."""
        return tuple(n for n, v in self.entries.items()
                     if n.startswith(prefix) and not v.is_string and v.raw == "y")


def parse_config(text: str, path: str) -> KconfigFile:
    """Parse ``.config`` text; ``path`` is used in messages and sources."""
    values: dict[str, KconfigValue] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        v = _parse_line(line, path, lineno)
        if v is not None:
            values[v.name] = v
    return KconfigFile(path, values)


def load_config(path: str | Path) -> KconfigFile:
    """Read and parse a ``.config`` file; InputError names the file when unreadable."""
    data = read_input(path, "Kconfig .config file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text: a .config file is text") from e
    return parse_config(text, str(path))
