"""One-line descriptions of PyYAML errors, for every YAML reader here.

Entry point: ``yaml_error(path, err) -> InputError``. PyYAML's own
``str()`` spans several lines (``in "<unicode string>", line 3, column 1``);
an error here is one line naming ``file:line``, so the reader's
``ReaderError`` (a character YAML forbids) and the scanner/parser's
``MarkedYAMLError`` are turned into ``path:line: invalid YAML: problem``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zephyr_ota.errors import InputError

if TYPE_CHECKING:
    import yaml


def yaml_error(path: object, err: yaml.YAMLError, text: str | None = None) -> InputError:
    """The ``InputError`` for ``err`` raised while loading ``path``; ``text``
    (the YAML source) lets a ``ReaderError``'s offset become a line number."""
    import yaml

    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        line = f":{mark.line + 1}" if mark else ""
        return InputError(f"{path}{line}: invalid YAML: {err.problem or err.context}")
    if isinstance(err, yaml.reader.ReaderError):
        line = f":{text.count(chr(10), 0, err.position) + 1}" if text is not None else ""
        found = (f"character U+{err.character:04X}" if isinstance(err.character, int)
                 else f"byte 0x{err.character[0]:02X}" if err.character else "a character")
        return InputError(f"{path}{line}: invalid YAML: {err.reason}: found {found}")
    return InputError(f"{path}: invalid YAML: {type(err).__name__}")


def yaml_text(path: object, raw: bytes) -> str:
    """``raw`` decoded as UTF-8 (YAML 1.1's encoding for our files); a byte
    that is not UTF-8 is an ``InputError`` naming its line, never a silent
    U+FFFD in a project name or key path."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not UTF-8 text: byte 0x{raw[e.start]:02X} "
                         "cannot start or continue a UTF-8 character") from e
