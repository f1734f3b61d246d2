"""Reading YAML for every YAML reader here: one parse, one-line errors.

Entry points: ``load_yaml(path, text) -> (data, root node)`` (the node tree
gives readers line numbers for their messages; the data is constructed from
it, so the text is parsed once), ``yaml_text(path, raw)`` (UTF-8 or a
``file:line`` error) and ``yaml_error(path, err) -> InputError``. PyYAML's own
``str()`` spans several lines (``in "<unicode string>", line 3, column 1``);
an error here is one line naming ``file:line``, so the reader's
``ReaderError`` (a character YAML forbids) and the scanner/parser's
``MarkedYAMLError`` are turned into ``path:line: invalid YAML: problem``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def load_yaml(path: object, text: str) -> tuple[Any, yaml.Node | None]:
    """The data of a YAML document (safe types only) and its node tree (None
    for an empty document), from one parse; errors as ``yaml_error``."""
    import yaml

    try:
        loader = yaml.SafeLoader(text)  # its reader checks every character already
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        raise yaml_error(path, e, text) from e
    return data, root
