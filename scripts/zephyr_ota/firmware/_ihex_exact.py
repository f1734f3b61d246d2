"""The exact, line-by-line Intel HEX parser behind ``ihex``.

It accepts exactly what the fast reader accepts and gives every error its
line number; ``ihex.parse_hex`` falls back to it whenever the fast path sees
anything irregular. Entry point: ``parse(path, raw) -> tuple[Segment, ...]``.
"""

from __future__ import annotations

import binascii

from zephyr_ota.errors import InputError
from zephyr_ota.firmware.model import Segment, coalesce

_ADDRESS_RECORDS = {2: 4, 4: 16}   # record type -> shift of its base address
_START_RECORDS = (3, 5)
_EXPECTED_COUNT = {1: 0, 2: 2, 3: 4, 4: 2, 5: 4}


def _decode(path: str, number: int, line: bytes) -> bytes:
    where = f"{path}:{number}"
    if not line.startswith(b":"):
        found = line[:16].decode("ascii", "replace")
        raise InputError(f"{where}: expected a record starting with ':', found {found!r}")
    digits = line[1:]
    try:
        record = binascii.unhexlify(digits)
    except binascii.Error as e:
        raise InputError(f"{where}: expected hexadecimal digits in pairs, found "
                         f"{digits[:16].decode('ascii', 'replace')!r}") from e
    if len(record) < 5:
        raise InputError(f"{where}: expected at least 5 bytes in a record, found {len(record)}")
    if len(record) != record[0] + 5:
        raise InputError(f"{where}: record length {record[0]} does not match the "
                         f"{len(record) - 5} data bytes on the line")
    if sum(record) & 0xFF:
        expected = (-sum(record[:-1])) & 0xFF
        raise InputError(f"{where}: bad checksum: expected 0x{expected:02X}, "
                         f"found 0x{record[-1]:02X}")
    kind = record[3]
    if kind > 5:
        raise InputError(f"{where}: unknown record type 0x{kind:02X}: expected 00..05")
    if kind in _EXPECTED_COUNT and record[0] != _EXPECTED_COUNT[kind]:
        raise InputError(f"{where}: record type 0x{kind:02X}: expected "
                         f"{_EXPECTED_COUNT[kind]} data bytes, found {record[0]}")
    return record


def _records(path: str, raw: bytes) -> list[tuple[int, int, bytes]]:
    """(line, address, data) of every data record, in file order."""
    records: list[tuple[int, int, bytes]] = []
    base = 0
    end_line = 0
    for number, text in enumerate(raw.splitlines(), start=1):
        line = text.strip()
        if not line:
            continue
        if end_line:
            raise InputError(f"{path}:{number}: record after the end-of-file record "
                             f"on line {end_line}")
        record = _decode(path, number, line)
        kind, data = record[3], record[4:-1]
        if kind == 0 and data:
            records.append((number, base + (record[1] << 8 | record[2]), data))
        elif kind == 1:
            end_line = number
        elif kind in _ADDRESS_RECORDS:
            base = int.from_bytes(data, "big") << _ADDRESS_RECORDS[kind]
    if records and not end_line:
        # Every Intel HEX writer (objcopy, intelhex, ours) ends with a type 01
        # record; without it the file was cut at a line boundary.
        raise InputError(f"{path}: expected an end-of-file record (:00000001FF) "
                         "after the last line, found none", hint="the file is truncated")
    return records


def _check_overlaps(path: str, records: list[tuple[int, int, bytes]]) -> None:
    """Raise for the first line (in file order) whose data overlaps an earlier record."""
    ordered = sorted(records, key=lambda r: (r[1], r[0]))
    worst: tuple[int, int, int, int] | None = None   # (line, start, end, other line)
    holder = ordered[0] if ordered else None
    for record in ordered[1:]:
        assert holder is not None
        h_line, h_start, h_data = holder
        line, start, data = record
        h_end = h_start + len(h_data)
        if start < h_end:
            later, other = (line, h_line) if line > h_line else (h_line, line)
            overlap = (later, start, min(h_end, start + len(data)), other)
            if worst is None or overlap[0] < worst[0]:
                worst = overlap
        if start + len(data) > h_end:
            holder = record
    if worst is not None:
        line, start, end, other = worst
        raise InputError(f"{path}:{line}: overlapping records: 0x{start:X}..0x{end:X} "
                         f"already holds data from line {other}")


def parse(path: str, raw: bytes) -> tuple[Segment, ...]:
    """The segments of ``raw``, or an ``InputError`` naming ``path:line``."""
    records = _records(path, raw)
    if not records:
        raise InputError(f"{path}: no data records: expected Intel HEX data, found none")
    _check_overlaps(path, records)
    records.sort(key=lambda r: r[1])
    return coalesce([(address, data) for _, address, data in records])
