"""Intel HEX: the fast reader agrees with the exact one and with intelhex,
every malformed file gets a one-line message naming file:line, and our
writer emits what intelhex (imgtool's hex output) emits."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intelhex import IntelHex

from zephyr_ota.errors import InputError
from zephyr_ota.firmware import _ihex_exact, load_firmware
from zephyr_ota.firmware.ihex import HexWriter, parse_hex, read_hex, write_hex


def rec(kind: int, address: int, data: bytes = b"") -> str:
    body = bytes([len(data), (address >> 8) & 0xFF, address & 0xFF, kind]) + data
    return ":" + (body + bytes([(-sum(body)) & 0xFF])).hex().upper()


EOF_REC = ":00000001FF"


def hex_text(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def intelhex_text(runs: list[tuple[int, bytes]]) -> bytes:
    ih = IntelHex()
    for address, data in runs:
        ih.puts(address, data)
    out = io.StringIO()
    ih.write_hex_file(out)
    return out.getvalue().encode()


def our_text(runs: list[tuple[int, bytes]]) -> bytes:
    out = io.BytesIO()
    writer = HexWriter(out)
    for address, data in runs:
        writer.write(address, [data])
    writer.finish()
    return out.getvalue()


def test_simple_file(tmp_path) -> None:
    path = tmp_path / "a.hex"
    path.write_bytes(hex_text(rec(0, 0x100, b"\x01\x02\x03"), rec(0, 0x103, b"\x04"), EOF_REC))
    fw = load_firmware(path)
    assert fw.kind == "hex" and fw.base_address == 0x100
    assert (fw.start, fw.end, fw.size) == (0x100, 0x104, 4)
    assert fw.to_bytes() == b"\x01\x02\x03\x04"


def test_gaps_are_filled_with_the_erased_value(tmp_path) -> None:
    path = tmp_path / "gaps.hex"
    path.write_bytes(hex_text(rec(0, 0x10, b"\xaa" * 4), rec(0, 0x18, b"\xbb" * 2), EOF_REC))
    fw = read_hex(path)
    assert len(fw.segments) == 2 and fw.has_gaps
    assert fw.to_bytes(0xFF) == b"\xaa" * 4 + b"\xff" * 4 + b"\xbb" * 2
    assert fw.to_bytes(0x00) == b"\xaa" * 4 + b"\x00" * 4 + b"\xbb" * 2
    assert b"".join(fw.chunks(0xFF)) == fw.to_bytes(0xFF)


def test_extended_linear_and_segment_addresses() -> None:
    text = hex_text(rec(4, 0, b"\x08\x00"), rec(0, 0x10, b"\x01\x02"),
                    rec(2, 0, b"\x12\x00"), rec(0, 0x4, b"\x03"),
                    rec(5, 0, b"\x08\x00\x01\x01"), rec(3, 0, b"\x00\x00\x00\x00"), EOF_REC)
    segments = parse_hex("x.hex", text)
    assert [(s.address, s.data) for s in segments] == [(0x12004, b"\x03"),
                                                        (0x08000010, b"\x01\x02")]


def test_crlf_blank_lines_and_missing_final_newline() -> None:
    lines = [rec(0, 0, bytes(range(16))), rec(0, 16, bytes(range(16, 32))), EOF_REC]
    expected = parse_hex("a.hex", hex_text(*lines))
    assert parse_hex("b.hex", "\r\n".join(lines).encode()) == expected
    assert parse_hex("c.hex", ("\n\n".join(lines) + "\n\n").encode()) == expected
    assert parse_hex("d.hex", ("  " + "  \n".join(lines)).encode()) == expected


def test_records_out_of_order_are_sorted() -> None:
    text = hex_text(rec(0, 0x20, b"\x02" * 16), rec(0, 0x10, b"\x01" * 16), EOF_REC)
    (segment,) = parse_hex("x.hex", text)
    assert segment.address == 0x10 and segment.data == b"\x01" * 16 + b"\x02" * 16


@pytest.mark.parametrize(("lines", "message"), [
    ([rec(0, 0x8000, b"\x00" * 16), rec(0, 0x8008, b"\x00" * 16), EOF_REC],
     "x.hex:2: overlapping records: 0x8008..0x8010 already holds data from line 1"),
    ([rec(0, 0x8008, b"\x00" * 4), rec(0, 0x8000, b"\x00" * 16), EOF_REC],
     "x.hex:2: overlapping records: 0x8008..0x800C already holds data from line 1"),
    ([rec(4, 0, b"\x00\x01"), rec(0, 0, b"\x00" * 4), rec(0, 0, b"\x00" * 4), EOF_REC],
     "x.hex:3: overlapping records: 0x10000..0x10004 already holds data from line 2"),
    ([rec(0, 0, b"\x01\x02")[:-2] + "00", EOF_REC],
     "x.hex:1: bad checksum: expected 0xFB, found 0x00"),
    (["10000000", EOF_REC], "x.hex:1: expected a record starting with ':', found '10000000'"),
    ([":0G00000000", EOF_REC], "x.hex:1: expected hexadecimal digits in pairs, found '0G00000000'"),
    ([":000", EOF_REC], "x.hex:1: expected hexadecimal digits in pairs, found '000'"),
    ([":0000", EOF_REC], "x.hex:1: expected at least 5 bytes in a record, found 2"),
    ([":0200000001FD", EOF_REC],
     "x.hex:1: record length 2 does not match the 1 data bytes on the line"),
    ([rec(6, 0, b"\x00"), EOF_REC], "x.hex:1: unknown record type 0x06: expected 00..05"),
    ([rec(4, 0, b"\x00"), EOF_REC], "x.hex:1: record type 0x04: expected 2 data bytes, found 1"),
    ([rec(0, 0, b"\x00"), EOF_REC, rec(0, 1, b"\x00")],
     "x.hex:3: record after the end-of-file record on line 2"),
    ([EOF_REC], "x.hex: no data records: expected Intel HEX data, found none"),
    ([], "x.hex: no data records: expected Intel HEX data, found none"),
], ids=["overlap", "overlap-reversed", "overlap-extended", "checksum", "no-colon",
        "bad-digit", "odd-digits", "short", "length", "type", "type04-length",
        "after-eof", "eof-only", "empty"])
def test_invalid_hex(lines: list[str], message: str) -> None:
    text = hex_text(*lines) if lines else b""
    with pytest.raises(InputError) as e:
        parse_hex("x.hex", text)
    assert str(e.value) == message


def test_overlap_deep_in_a_large_file_names_the_line(tmp_path) -> None:
    data = os.urandom(0x30000)
    text = intelhex_text([(0x08000000, data)]).splitlines()
    text.insert(5000, rec(0, 0x0010, b"\x00" * 16).encode())  # inside region 0x0801
    path = tmp_path / "big.hex"
    path.write_bytes(b"\n".join(text) + b"\n")
    with pytest.raises(InputError) as e:
        read_hex(path)
    assert str(e.value) == (f"{path}:5001: overlapping records: 0x8010010..0x8010020 "
                            f"already holds data from line 4100")


def test_missing_file(tmp_path) -> None:
    with pytest.raises(InputError) as e:
        load_firmware(tmp_path / "none.hex")
    assert str(e.value) == f"{tmp_path / 'none.hex'}: Intel HEX file not found"


@pytest.mark.parametrize("runs", [
    [(0x0, 1000)], [(0x1003, 100_000)], [(0xFFF0, 40)], [(0x08000000, 0x20000)],
    [(0x100, 20), (0x200, 5), (0x205, 30)], [(0x0, 16), (0x10000, 16)],
    [(0xFFFF, 1), (0x10000, 1), (0x20000, 7)],
], ids=str)
def test_writer_matches_intelhex(runs: list[tuple[int, int]]) -> None:
    blobs = [(address, os.urandom(size)) for address, size in runs]
    assert our_text(blobs) == intelhex_text(blobs)


def test_write_hex_streams_chunks_of_any_size() -> None:
    data = os.urandom(70_000)
    out = io.BytesIO()
    write_hex(out, 0x2000_0003, [data[:1], data[1:40_000], memoryview(data)[40_000:]])
    assert out.getvalue() == intelhex_text([(0x2000_0003, data)])


def test_writer_refuses_descending_runs() -> None:
    writer = HexWriter(io.BytesIO())
    writer.write(0x100, [b"\x00" * 4])
    with pytest.raises(ValueError):
        writer.write(0x102, [b"\x00"])


def test_large_file_matches_the_exact_parser_and_intelhex(tmp_path) -> None:
    runs = [(0x0800_0000, os.urandom(0x41234)), (0x0810_0100, os.urandom(999))]
    text = our_text(runs)
    fast = parse_hex("x.hex", text)
    assert fast == _ihex_exact.parse("x.hex", text)
    assert [(s.address, s.data) for s in fast] == runs
    path = tmp_path / "x.hex"
    path.write_bytes(text)
    ih = IntelHex(str(path))
    assert ih.minaddr() == runs[0][0] and ih.tobinstr(start=runs[0][0], size=len(runs[0][1])) == runs[0][1]


_runs = st.lists(st.tuples(st.integers(0, 0x3_0000), st.binary(min_size=1, max_size=300)),
                 min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_runs, st.integers(1, 255))
def test_roundtrip_write_then_read(raw_runs: list[tuple[int, bytes]], record_len: int) -> None:
    """Any set of disjoint runs written by us reads back the same (fast and
    exact parsers), and equals what intelhex writes; a file written with
    other record lengths by intelhex reads back too."""
    runs: list[tuple[int, bytes]] = []
    position = 0
    for gap, data in raw_runs:
        runs.append((position + gap, data))
        position += gap + len(data)
    text = our_text(runs)
    assert text == intelhex_text(runs)
    expected = b"".join(d for _, d in runs)
    for parser in (parse_hex, _ihex_exact.parse):
        segments = parser("x.hex", text)
        assert b"".join(s.data for s in segments) == expected
        assert segments[0].address == runs[0][0]
    ih = IntelHex()
    for address, data in runs:
        ih.puts(address, data)
    out = io.StringIO()
    ih.write_hex_file(out, byte_count=record_len)
    other = parse_hex("y.hex", out.getvalue().encode())
    assert other == parse_hex("x.hex", text)


_SAMPLE = our_text([(0x0800_0000, bytes(range(256)) * 3), (0x0801_0000 - 8, bytes(40))])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_SAMPLE) - 1),
                          st.sampled_from(b"0123456789ABCDEFabcdef:\n\r x")),
                min_size=1, max_size=3))
def test_fast_reader_never_accepts_what_the_exact_one_rejects(edits) -> None:
    """Any corrupted file: the fast reader and the exact parser agree, on the
    segments or on the error."""
    text = bytearray(_SAMPLE)
    for position, value in edits:
        text[position] = value
    results = []
    for parser in (parse_hex, _ihex_exact.parse):
        try:
            results.append(parser("x.hex", bytes(text)))
        except InputError as e:
            results.append(str(e))
    assert results[0] == results[1]
