"""Intel HEX: a fast reader and a fast streaming writer.

Entry points: ``read_hex(path) -> Firmware``, ``parse_hex(path, raw) ->
tuple[Segment, ...]``, ``write_hex(fileobj, address, chunks)`` and
``HexWriter`` (several runs into one file).

Record types (Intel HEX-86/386): 00 data, 01 end of file, 02 extended segment
address (base = value << 4), 03 start segment address, 04 extended linear
address (base = value << 16), 05 start linear address. Start addresses are
accepted and ignored (MCUboot images have no entry point field).

Speed: a per-record Python loop costs ~1 us per 16-byte record, seconds for
a large file. The reader instead decodes the whole file with one
``binascii.unhexlify`` and then works on blocks of equal-sized, contiguous
data records with strided slices (``blob[i::stride]``): one column of the block
per slice, checksums summed column-wise in wide integer lanes. Anything
irregular drops to the exact per-line parser (``_exact``), which also makes
every error message, with its line number. The writer builds blocks of
records the same way and emits what ``IntelHex.write_hex_file`` (imgtool's
hex output) emits: 16-byte records that never cross a 64 KiB boundary, a
type 04 record per 64 KiB region when any address is above 0xFFFF,
uppercase, ``\\n`` line ends, ``:00000001FF`` last.
"""

from __future__ import annotations

import binascii
import os
import struct
from collections.abc import Iterable
from itertools import pairwise
from typing import BinaryIO

from zephyr_ota.errors import InputError
from zephyr_ota.firmware import _ihex_exact as _exact
from zephyr_ota.firmware.model import Firmware, Segment, coalesce

RECORD_BYTES = 16          # data bytes per written record, as intelhex writes
_REGION = 0x10000          # a type 04 record addresses one 64 KiB region
_WINDOW = 8192             # records examined per block when reading
_DECODE_STEP = 1 << 20     # text decoded per step when reading
_NEGATE = bytes((-i) & 0xFF for i in range(256))


class _Irregular(Exception):
    """The fast path met something it does not handle; use the exact parser."""


def row_sums(table: bytes | bytearray, rows: int, stride: int, first: int, count: int) -> bytes:
    """Per-row sums mod 256 of ``count`` columns from ``first`` of a table of
    ``rows`` rows of ``stride`` bytes: each column is added into the lanes of
    one big integer (lanes wide enough that no lane carries into the next),
    so the work is a few C calls per column, not a Python step per row."""
    lane = 2 if count * 0xFF <= 0xFFFF else 4
    lanes = bytearray(lane * rows)
    total = 0
    for column in range(first, first + count):
        lanes[0::lane] = table[column:column + rows * stride:stride]
        total += int.from_bytes(lanes, "little")
    return total.to_bytes(lane * rows + lane, "little")[0:lane * rows:lane]


# ----------------------------------------------------------------- reading

def read_hex(path: str | os.PathLike[str]) -> Firmware:
    """Read an Intel HEX file; gaps stay gaps (``Firmware.to_bytes`` fills them)."""
    from zephyr_ota.fileio import read_input

    raw = read_input(path, "Intel HEX file")
    segments = parse_hex(str(path), raw)
    return Firmware(str(path), "hex", segments, base_address=segments[0].address)


def parse_hex(path: str, raw: bytes) -> tuple[Segment, ...]:
    """The segments of the Intel HEX text ``raw``; ``path`` names it in errors."""
    try:
        runs = _fast_runs(raw)
    except _Irregular:
        return _exact.parse(path, raw)
    runs.sort(key=lambda run: run[0])
    for (a_start, a_data), (b_start, _) in pairwise(runs):
        if b_start < a_start + len(a_data):
            return _exact.parse(path, raw)  # finds the offending line and says so
    if not runs:
        return _exact.parse(path, raw)
    return coalesce(runs)


def _fast_runs(raw: bytes) -> list[tuple[int, bytes | bytearray]]:
    eol = b"\r\n" if b"\r" in raw else b"\n"
    text = raw
    if not raw.endswith(eol) or raw[-len(eol) - 1:-len(eol)].isspace():
        text = raw.rstrip() + eol   # copies only files with odd endings
    records = text.count(b":")
    if text.count(b"\n") != records or (eol == b"\r\n" and text.count(b"\r") != records):
        raise _Irregular
    walker = _Walker(_decode(text), text, eol)
    runs = walker.walk()
    if walker.line != records or walker.position != len(text) or not walker.ended:
        raise _Irregular   # the exact parser names what is wrong
    return runs


def _decode(text: bytes) -> bytearray:
    """The record bytes of ``text``, decoded 1 MiB of text at a time (so the
    digits-only copy never costs the whole file's size again)."""
    blob = bytearray()
    position = 0
    while position < len(text):
        end = text.find(b"\n", position + _DECODE_STEP) + 1 or len(text)
        try:
            blob += binascii.unhexlify(text[position:end].translate(None, b":\r\n"))
        except binascii.Error:
            raise _Irregular from None
        position = end
    return blob


class _Walker:
    """Walks the decoded records of a well-formed file block by block,
    checking that each record is exactly one line of ``text``."""

    def __init__(self, blob: bytearray, text: bytes, eol: bytes) -> None:
        self.blob = blob
        self.text = text
        self.eol = eol
        self.offset = 0      # in blob
        self.position = 0    # in text
        self.line = 0
        self.base = 0
        self.runs: list[tuple[int, bytes | bytearray]] = []
        self.ended = False

    def walk(self) -> list[tuple[int, bytes | bytearray]]:
        size = len(self.blob)
        while self.offset < size:
            if self.ended or self.offset + 5 > size:
                raise _Irregular
            if self.blob[self.offset + 3] == 0 and self.blob[self.offset]:
                self._data_block()
            else:
                self._single_record()
        return self.runs

    def _lines_fit(self, rows: int, stride: int) -> bool:
        """Each of ``rows`` records of ``stride`` bytes is one whole line."""
        width = 2 * stride + 1 + len(self.eol)
        start, end = self.position, self.position + rows * width
        if self.text[start:end:width] != b":" * rows:
            return False
        return all(self.text[start + width - len(self.eol) + i:end:width] == self.eol[i:i + 1] * rows
                   for i in range(len(self.eol)))

    def _data_block(self) -> None:
        blob, offset = self.blob, self.offset
        count = blob[offset]
        stride = count + 5
        window = min(_WINDOW, (len(blob) - offset) // stride)
        if window == 0:
            raise _Irregular
        lengths = blob[offset:offset + window * stride:stride]
        rows = window - len(lengths.lstrip(bytes([count])))
        types = blob[offset + 3:offset + rows * stride:stride]
        rows = len(types) - len(types.lstrip(b"\0"))
        rows = self._contiguous_rows(rows, stride, count)
        table = blob[offset:offset + rows * stride]
        if not self._lines_fit(rows, stride) or row_sums(table, rows, stride, 0, stride) != bytes(rows):
            raise _Irregular
        data = bytearray(rows * count)
        for column in range(count):
            data[column::count] = table[4 + column::stride]
        address = self.base + (blob[offset + 1] << 8 | blob[offset + 2])
        self.runs.append((address, data))
        self.offset += rows * stride
        self.position += rows * (2 * stride + 1 + len(self.eol))
        self.line += rows

    def _contiguous_rows(self, rows: int, stride: int, count: int) -> int:
        """How many of the ``rows`` leading records follow each other in memory."""
        blob, offset = self.blob, self.offset
        pairs = bytearray(2 * rows)
        pairs[0::2] = blob[offset + 1:offset + rows * stride:stride]
        pairs[1::2] = blob[offset + 2:offset + rows * stride:stride]
        found = struct.unpack(f">{rows}H", pairs)
        first = found[0]
        if found == tuple(range(first, first + rows * count, count)):
            return rows
        return next(i for i, (a, b) in enumerate(zip(found, range(first, 1 << 30, count), strict=False))
                    if a != b)

    def _single_record(self) -> None:
        blob, offset = self.blob, self.offset
        count, kind = blob[offset], blob[offset + 3]
        stride = count + 5
        record = blob[offset:offset + stride]
        if len(record) != stride or sum(record) & 0xFF or not self._lines_fit(1, stride):
            raise _Irregular
        value = int.from_bytes(record[4:-1], "big")
        if kind == 0 and count == 0:
            pass
        elif kind == 1 and count == 0:
            self.ended = True
        elif kind in (2, 4) and count == 2:
            self.base = value << (4 if kind == 2 else 16)
        elif not (kind in (3, 5) and count == 4):
            raise _Irregular
        self.offset += stride
        self.position += 2 * stride + 1 + len(self.eol)
        self.line += 1


# ----------------------------------------------------------------- writing

def _record(kind: int, address: int, data: bytes) -> bytes:
    body = bytes([len(data), (address >> 8) & 0xFF, address & 0xFF, kind]) + data
    return b":" + binascii.hexlify(body + bytes([(-sum(body)) & 0xFF])).upper() + b"\n"


def _format_records(address: int, data: bytes | bytearray | memoryview) -> bytes:
    """Type 00 records for ``data`` at ``address``; all of it in one 64 KiB region."""
    view = bytes(data)
    rows, rest = divmod(len(view), RECORD_BYTES)
    out = bytearray()
    low = address & 0xFFFF
    if rows:
        stride = RECORD_BYTES + 5
        table = bytearray(rows * stride)
        table[0::stride] = bytes([RECORD_BYTES]) * rows
        addresses = struct.pack(f">{rows}H", *range(low, low + rows * RECORD_BYTES, RECORD_BYTES))
        table[1::stride] = addresses[0::2]
        table[2::stride] = addresses[1::2]
        for column in range(RECORD_BYTES):
            table[4 + column::stride] = view[column:rows * RECORD_BYTES:RECORD_BYTES]
        table[stride - 1::stride] = row_sums(table, rows, stride, 0, stride - 1).translate(_NEGATE)
        out += b":"
        out += binascii.hexlify(table, b"\n", -stride).upper().replace(b"\n", b"\n:")
        out += b"\n"
    if rest:
        out += _record(0, low + rows * RECORD_BYTES, view[rows * RECORD_BYTES:])
    return bytes(out)


class HexWriter:
    """Streams runs of data into Intel HEX, the way intelhex lays them out.

    Call ``write(address, chunks)`` per run, in ascending address order
    (a run that starts where the previous one ended continues its records,
    as intelhex chains contiguous bytes), then ``finish()``. Data below
    64 KiB is held back until it is known whether any address exceeds
    0xFFFF (then every region, the first included, gets a type 04 record).
    """

    def __init__(self, fileobj: BinaryIO) -> None:
        self.fileobj = fileobj
        self.extended: bool | None = None   # None: not known yet
        self.region = -1                    # region of the last type 04 record
        self.start = 0                      # address of pending[0]
        self.pending = bytearray()          # bytes of the current 64 KiB region
        self.position = 0                   # end of the data written so far
        self.held: list[tuple[int, bytes]] = []

    def write(self, address: int, chunks: Iterable[bytes | bytearray | memoryview]) -> None:
        if address < self.position:
            raise ValueError(f"hex runs must ascend without overlap: {address:#x} < "
                             f"{self.position:#x}")
        if address != self.position:
            self._flush()
            self.start = address
        for chunk in chunks:
            view = memoryview(chunk).cast("B")
            while view:
                room = _REGION - ((self.start + len(self.pending)) & 0xFFFF)
                take, view = view[:room], view[room:]
                if not self.pending and len(take) == room:
                    self._emit(self.start, take)
                    self.start += room
                    continue
                self.pending += take
                if len(take) == room:
                    self._flush()
        self.position = self.start + len(self.pending)

    def _flush(self) -> None:
        if self.pending:
            self._emit(self.start, self.pending)
            self.start += len(self.pending)
            self.pending = bytearray()

    def _emit(self, address: int, data: bytes | bytearray | memoryview) -> None:
        if address >= _REGION and self.extended is None:
            self.extended = True
            held, self.held = self.held, []
            for held_address, held_data in held:
                self._emit(held_address, held_data)
        if self.extended is None:
            self.held.append((address, bytes(data)))
            return
        if self.extended and address >> 16 != self.region:
            self.region = address >> 16
            self.fileobj.write(_record(4, 0, self.region.to_bytes(2, "big")))
        self.fileobj.write(_format_records(address, data))

    def finish(self) -> None:
        """Write what is pending or held back, and the end-of-file record."""
        self._flush()
        if self.extended is None:
            self.extended = False
            for address, data in self.held:
                self._emit(address, data)
            self.held = []
        self.fileobj.write(b":00000001FF\n")


def write_hex(fileobj: BinaryIO, address: int,
              chunks: Iterable[bytes | bytearray | memoryview]) -> None:
    """Write one contiguous run of data at ``address`` as a complete Intel HEX file."""
    writer = HexWriter(fileobj)
    writer.write(address, chunks)
    writer.finish()


__all__ = ["HexWriter", "InputError", "parse_hex", "read_hex", "row_sums", "write_hex"]
