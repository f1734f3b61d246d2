"""Read and validate ``ota.yml``: YAML with line marks, the pykwalify schema
shipped in the package (``ota-schema.yml``), then ``OtaConfig``.

Entry points: ``load_ota_config(path, check_files=True) -> OtaConfig``,
``find_ota_config(*dirs) -> Path | None``, ``schema() -> dict``.

Every error is one ``InputError`` naming file, line and key, then expected
and found (``ota.yml:4: mcuboot.aes_bits: expected one of 128, 256, got
512``). pykwalify reports paths (``/mcuboot/aes_bits``); we map them to
lines through the nodes PyYAML composes, which keep their start marks.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from zephyr_ota.config.model import (
    KeysConfig,
    ManifestConfig,
    McubootConfig,
    OtaConfig,
    OutputsConfig,
    VersionConfig,
    is_key_uri,
)
from zephyr_ota.errors import InputError
from zephyr_ota.fileio import read_input
from zephyr_ota.yamlio import load_yaml, yaml_text

log = logging.getLogger(__name__)

CONFIG_NAMES = ("ota.yml", "ota.yaml")
_TYPE_NAMES = {"str": "a string", "bool": "true or false", "int": "an integer",
               "map": "a mapping", "seq": "a list", "any": "any value"}


def schema() -> dict[str, Any]:
    """The pykwalify schema of ota.yml (package data, so it ships in the wheel)."""
    import yaml

    text = resources.files("zephyr_ota.config").joinpath("ota-schema.yml").read_text()
    return dict(yaml.safe_load(text))


def find_ota_config(*dirs: str | os.PathLike[str]) -> Path | None:
    """The first ``ota.yml``/``ota.yaml`` in ``dirs`` (e.g. the app dir, then cwd)."""
    for folder in dirs:
        for name in CONFIG_NAMES:
            candidate = Path(folder) / name
            if candidate.is_file():
                return candidate
    return None


def load_ota_config(path: str | os.PathLike[str], check_files: bool = True) -> OtaConfig:
    """Parse, validate and resolve one ota.yml. With ``check_files`` the files
    it names (keys, VERSION) must exist."""
    path = Path(path)
    text = yaml_text(path, read_input(path, "ota.yml"))
    data, lines = _parse(text, path)
    _validate(data, lines, path)
    config = _build(path, data, lines)
    if check_files:
        _check_files(config)
    log.debug("%s: loaded", path)
    return config


def _parse(text: str, path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    data, node = load_yaml(path, text)
    lines: dict[str, int] = {"": 1}
    if node is not None:
        _mark_lines(node, (), lines, path)
    return ({} if data is None else data), lines


def _mark_lines(node: Any, parts: tuple[str, ...], lines: dict[str, int], path: Path) -> None:
    """Record the line of every key and list item; refuse duplicate keys
    (which PyYAML would silently merge)."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            dotted = ".".join((*parts, key))
            if key in seen:
                raise InputError(f"{path}:{key_node.start_mark.line + 1}: {dotted}: "
                                 f"duplicate key")
            seen.add(key)
            lines[dotted] = key_node.start_mark.line + 1
            lines[dotted + "="] = value_node.start_mark.line + 1
            _mark_lines(value_node, (*parts, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            dotted = ".".join((*parts, str(index)))
            lines[dotted] = lines[dotted + "="] = item.start_mark.line + 1
            _mark_lines(item, (*parts, str(index)), lines, path)


def _validate(data: Any, lines: dict[str, int], path: Path) -> None:
    from pykwalify.core import Core
    from pykwalify.errors import PyKwalifyException

    # pykwalify logs each error at ERROR level; keep that off the user's terminal.
    logging.getLogger("pykwalify").addHandler(logging.NullHandler())
    rules = schema()
    if not isinstance(data, dict):
        raise InputError(f"{path}:1: expected a mapping of settings, got {_describe(data)}")
    try:
        core = Core(source_data=data, schema_data=rules)
        core.validate(raise_exception=False)
    except PyKwalifyException as e:  # a broken schema: our bug, but say where
        raise InputError(f"{path}: cannot validate: {e.msg}") from e
    problems = [_problem(entry, data, rules, lines, path) for entry in core.errors]
    if problems:
        problems.sort(key=lambda p: p[0])
        more = len(problems) - 1
        raise InputError(problems[0][1], hint=f"{more} more problem(s) in {path}" if more else None)


def _problem(entry: Any, data: Any, rules: dict[str, Any], lines: dict[str, int],
             path: Path) -> tuple[int, str]:
    """(line, message) for one pykwalify error entry."""
    parts = [p for p in str(entry.path).split("/") if p]
    unknown = getattr(entry, "key", None)
    if unknown is not None:
        dotted = ".".join((*parts, str(unknown)))
        line = lines.get(dotted, 1)
        allowed = ", ".join(_rule_at(rules, parts).get("mapping", {}))
        return line, f"{path}:{line}: {dotted}: unknown key; expected one of: {allowed}"
    dotted = ".".join(parts)
    line = lines.get(dotted + "=", lines.get(dotted, 1))
    expected = _expectation(_rule_at(rules, parts))
    found = _describe(_value_at(data, parts))
    return line, f"{path}:{line}: {dotted or '(top)'}: expected {expected}, got {found}"


def _rule_at(rules: dict[str, Any], parts: list[str]) -> dict[str, Any]:
    rule = rules
    for part in parts:
        if "sequence" in rule:
            rule = rule["sequence"][0]
        elif part in rule.get("mapping", {}):
            rule = rule["mapping"][part]
        else:  # a regex; key (manifest.fields)
            rule = next(iter(rule.get("mapping", {}).values()), {})
    return dict(rule)


def _value_at(data: Any, parts: list[str]) -> Any:
    for part in parts:
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _expectation(rule: dict[str, Any]) -> str:
    if "enum" in rule:
        return "one of " + ", ".join(str(v) for v in rule["enum"])
    if "desc" in rule:
        return str(rule["desc"])
    if "range" in rule:
        r = rule["range"]
        return f"an integer from {r.get('min')} to {r.get('max')}"
    return _TYPE_NAMES.get(rule.get("type", "str"), str(rule.get("type")))


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"the string {str(value)!r}"


def _expand(text: str) -> str:
    return os.path.expanduser(os.path.expandvars(text))


def _path(text: str | None, base: Path) -> Path | None:
    if text is None:
        return None
    p = Path(_expand(text))
    return p if p.is_absolute() else base / p


def _key_spec(text: str | None, base: Path) -> str | None:
    if text is None or is_key_uri(text):
        return text
    return str(_path(text, base))


def _build(path: Path, data: dict[str, Any], lines: dict[str, int]) -> OtaConfig:
    from types import MappingProxyType

    here = path.parent.resolve()
    k, m = data.get("keys") or {}, data.get("mcuboot") or {}
    v, man, out = data.get("version") or {}, data.get("manifest") or {}, data.get("outputs") or {}
    keys_dir = _path(k.get("dir"), here)
    key_base = keys_dir or here
    try:
        return OtaConfig(
            path=path, project=data.get("project"), release=bool(data.get("release", False)),
            keys=KeysConfig(dir=keys_dir, signing=_key_spec(k.get("signing"), key_base),
                            trusted=tuple(Path(str(_path(t, key_base)))
                                          for t in k.get("trusted") or ()),
                            encryption=_path(k.get("encryption"), key_base)),
            mcuboot=McubootConfig(mode=m.get("mode"), signature_type=m.get("signature_type"),
                                  encryption=m.get("encryption"), aes_bits=m.get("aes_bits"),
                                  sysbuild=m.get("sysbuild", True)),
            version=VersionConfig(file=_path(v.get("file"), here), value=v.get("value"),
                                  security_counter=v.get("security_counter")),
            manifest=ManifestConfig(key=_key_spec(man.get("key"), key_base), name=man.get("name"),
                                    fields=MappingProxyType(dict(man.get("fields") or {}))),
            outputs=OutputsConfig(dir=_path(out.get("dir"), here),
                                  factory_image=out.get("factory_image"),
                                  manifest=out.get("manifest")),
            lines=MappingProxyType(dict(lines)))
    except ValueError as e:  # a cross-field rule of the model
        key = str(e).split(":", 1)[0]
        raise InputError(f"{path}:{lines.get(key, 1)}: {e}") from e


def _named_files(config: OtaConfig) -> Iterator[tuple[str, Path]]:
    if config.keys.signing and not is_key_uri(config.keys.signing):
        yield "keys.signing", Path(config.keys.signing)
    for index, trusted in enumerate(config.keys.trusted):
        yield f"keys.trusted.{index}", trusted
    if config.keys.encryption:
        yield "keys.encryption", config.keys.encryption
    if config.version.file:
        yield "version.file", config.version.file
    if config.manifest.key and not is_key_uri(config.manifest.key):
        yield "manifest.key", Path(config.manifest.key)


def _check_files(config: OtaConfig) -> None:
    for key, file in _named_files(config):
        if not file.is_file():
            what = "not a file" if file.exists() else "file not found"
            raise InputError(f"{config.where(key)}: {key}: {what}: {file}")
