"""RFC 8785 (JSON Canonicalization Scheme, JCS) bytes for the release manifest.

Entry point: ``canonical_bytes(value) -> bytes``.

The manifest is signed over exactly these bytes, so there must be one way to
write them. We implement JCS for the subset the manifest uses and refuse the
rest instead of guessing:

- objects with ASCII string keys, sorted by code point (for ASCII keys this is
  the UTF-16 code-unit order RFC 8785 section 3.2.3 asks for);
- strings: ``"`` and ``\\`` escaped, the control characters U+0000..U+001F as
  ``\\b \\f \\n \\r \\t`` or ``\\u00xx`` (lower-case hex), everything else as
  UTF-8 (RFC 8785 section 3.2.2.2, ECMAScript ``JSON.stringify``); lone
  surrogates cannot be encoded and are refused;
- integers within the I-JSON safe range -(2**53-1)..2**53-1 (RFC 7493
  section 2.2): inside it, ECMAScript number formatting of an integer is its
  plain decimal form; ``bool`` is ``true``/``false``, ``None`` is ``null``;
- lists and tuples as arrays. Floats are refused: no field of the manifest
  needs one and their formatting is where implementations disagree.

No whitespace is written anywhere, and no trailing newline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from zephyr_ota.errors import InputError

# I-JSON (RFC 7493 section 2.2): integers outside this range lose precision
# in a binary64 reader, and JCS formats numbers as binary64.
MAX_SAFE_INTEGER = 2**53 - 1

_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n",
            "\r": "\\r", "\t": "\\t"}


class CanonicalError(InputError):
    """A value outside the JSON subset the manifest is canonicalized in."""


def canonical_bytes(value: object) -> bytes:
    """Serialize ``value`` as RFC 8785 canonical JSON (UTF-8 bytes)."""
    out: list[str] = []
    _emit(value, out, "$")
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError as e:  # a lone surrogate in some string
        raise CanonicalError(
            f"canonical JSON: a string holds the lone surrogate U+{ord(e.object[e.start]):04X}, "
            "which UTF-8 cannot encode") from e


def _emit(value: object, out: list[str], path: str) -> None:
    # bool before int: bool is a subclass of int in Python.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalError(
                f"canonical JSON: {path}: expected an integer within ±(2**53-1), got {value}")
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise CanonicalError(
            f"canonical JSON: {path}: floats are not allowed, got {value!r}",
            hint="write the value as an integer (bytes, seconds) or a string")
    elif isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, Mapping):
        _emit_object(value, out, path)
    elif isinstance(value, (list, tuple)):
        _emit_array(value, out, path)
    else:
        raise CanonicalError(
            f"canonical JSON: {path}: expected null, bool, int, str, list or object, "
            f"got {type(value).__name__}")


def _emit_object(value: Mapping[object, object], out: list[str], path: str) -> None:
    for key in value:
        if not isinstance(key, str):
            raise CanonicalError(f"canonical JSON: {path}: object keys must be strings, got {key!r}")
        if not key.isascii():
            raise CanonicalError(f"canonical JSON: {path}: object keys must be ASCII, got {key!r}")
    out.append("{")
    for i, key in enumerate(sorted(value)):  # type: ignore[type-var]
        if i:
            out.append(",")
        out.append(_quote(key))  # type: ignore[arg-type]
        out.append(":")
        _emit(value[key], out, f"{path}.{key}")
    out.append("}")


def _emit_array(value: Sequence[object], out: list[str], path: str) -> None:
    out.append("[")
    for i, item in enumerate(value):
        if i:
            out.append(",")
        _emit(item, out, f"{path}[{i}]")
    out.append("]")


def _quote(text: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    return _ESCAPES.get(ch) or f"\\u{ord(ch):04x}"
