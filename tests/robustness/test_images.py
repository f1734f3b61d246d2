"""info / verify / sign on damaged images and firmware: truncations at each
part of an MCUboot image, bad TLV magic and lengths, Intel HEX cut at a line
boundary, ELF cut inside its program headers, random byte mutations."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import HEADER, assert_refused

# Offsets in the session's image: 32-byte header, 4000 bytes of code, then
# the TLV info header (magic, total length) at 0xfc0 and the SHA256 TLV.
TLV = 0x20 + 4000


def _damaged(data: bytes, case: str) -> bytes:
    image = bytearray(data)
    if case == "cut in header":
        return bytes(image[:20])
    if case == "cut in body":
        return bytes(image[:100])
    if case == "cut in TLV area":
        return bytes(image[:-10])
    if case == "TLV info magic wrong":
        image[TLV:TLV + 2] = b"\0\0"
    elif case == "TLV total length past the end":
        struct.pack_into("<H", image, TLV + 2, 0xFFFF)
    elif case == "TLV total shorter than its header":
        struct.pack_into("<H", image, TLV + 2, 3)
    elif case == "TLV entry length past the area":
        struct.pack_into("<H", image, TLV + 6, 0xFFF0)
    elif case == "image size huge":
        struct.pack_into("<I", image, 12, 0xFFFFFFFF)
    elif case == "header size zero":
        struct.pack_into("<H", image, 8, 0)
    return bytes(image)


IMAGE_CASES = {
    "cut in header": "header: expected 32 bytes, the file has 20",
    "cut in body": "header: body of 0xfa0 bytes from 0x20 runs past the end of the file at 0x64",
    "cut in TLV area": "TLV area at 0xfc0: size 0x90 runs past the end of the file at 0x1046",
    "TLV info magic wrong": "TLV area at 0xfc0: bad magic: expected 0x6907, got 0x0000",
    "TLV total length past the end":
        "TLV area at 0xfc0: size 0xffff runs past the end of the file at 0x1050",
    "TLV total shorter than its header":
        "TLV area at 0xfc0: size 0x3 runs past the end of the file at 0x1050",
    "TLV entry length past the area":
        "TLV area: TLV SHA256 at 0xfc4 of 65520 bytes overruns the area end 0x1050",
    "image size huge":
        "header: body of 0xffffffff bytes from 0x20 runs past the end of the file at 0x1050",
    "header size zero": "header: header size 0x0 is smaller than 0x20",
}


@pytest.mark.parametrize("command", [["info"], ["info", "--json"], ["verify"],
                                     ["verify", "-k", "PUB"]])
@pytest.mark.parametrize("case", sorted(IMAGE_CASES))
def test_damaged_image(case: str, command: list[str], ota, material, tmp_path: Path) -> None:
    bad = tmp_path / "bad image.bin"         # a space in the name, too
    bad.write_bytes(_damaged(material.image.read_bytes(), case))
    args = [str(material.pub) if a == "PUB" else a for a in command]
    run = ota(*args, bad)
    assert run.rc == 1
    assert run.err.splitlines()[0] == f"zephyr-ota: error: {bad}: {IMAGE_CASES[case]}"
    assert_refused(run, f"{bad}: {IMAGE_CASES[case]}", hint=run.err.partition("  Hint: ")[2].strip()
                   or None)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "header: expected 32 bytes, the file has 0"),
    (random.Random(1).randbytes(3000), "header: bad magic: expected 0x96f3b83d, got 0x2265b1f5"),
])
def test_not_an_image(content: bytes, message: str, ota, tmp_path: Path) -> None:
    bad = tmp_path / "x.bin"
    bad.write_bytes(content)
    run = ota("info", bad)
    assert run.err.splitlines()[0] == f"zephyr-ota: error: {bad}: {message}"
    assert run.rc == 1 and "Traceback" not in run.err


def test_image_is_a_directory(ota, tmp_path: Path) -> None:
    folder = tmp_path / "img.bin"
    folder.mkdir()
    assert_refused(ota("info", folder), f"{folder}: expected an image, found a directory")


# --- Intel HEX cut at a line boundary: the end-of-file record is missing ---

def test_hex_without_end_record_is_refused(ota, material, tmp_path: Path) -> None:
    """A hex file cut between two lines used to sign silently (shorter image)."""
    from image.support import write_hex

    fw = write_hex(tmp_path / "in" / "fw.hex", material.firmware.read_bytes(), 0x10000)
    lines = fw.read_text().splitlines()
    cut = tmp_path / "in" / "cut.hex"
    cut.write_text("\n".join(lines[:100]) + "\n")
    assert_refused(ota("sign", "-k", material.key, *HEADER, cut, tmp_path / "out.bin"),
                   f"{cut}: expected an end-of-file record (:00000001FF) after the last line, "
                   "found none", hint="the file is truncated")


def test_hex_image_without_end_record_is_refused(ota, material, tmp_path: Path) -> None:
    lines = material.image_hex.read_text().splitlines()
    cut = tmp_path / "in" / "cut.hex"
    cut.write_text("\n".join(lines[:-1]) + "\n")
    assert_refused(ota("info", cut), f"{cut}: expected an end-of-file record (:00000001FF) "
                   "after the last line, found none", hint="the file is truncated")


def test_hex_cut_mid_record(ota, material, tmp_path: Path) -> None:
    lines = material.image_hex.read_text().splitlines()
    cut = tmp_path / "in" / "cut.hex"
    cut.write_text("\n".join(lines[:5]) + "\n" + lines[5][:15] + "\n")
    assert_refused(ota("verify", "-k", material.pub, cut),
                   f"{cut}:6: record length 16 does not match the 2 data bytes on the line")


# --- ELF cut inside its headers ---

@pytest.mark.parametrize(("cut", "message"), [
    (89, "program header 0: expected 3000 bytes of file data, found 0"),
    (200, "program header 0: expected 3000 bytes of file data, found 52"),
])
def test_truncated_elf(cut: int, message: str, ota, material, tmp_path: Path) -> None:
    from helpers.elf_builder import build_elf, zephyr_like_app

    elf = tmp_path / "in" / "app.elf"
    elf.write_bytes(build_elf(zephyr_like_app(0x10020, 3000))[:cut])
    assert_refused(ota("sign", "-k", material.key, *HEADER, elf, tmp_path / "out.bin"),
                   f"{elf}: {message}")


# --- random damage: never a traceback, never an output file ---

_FUZZ = settings(max_examples=100, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


def _no_traceback(run) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in run.err
    if run.rc:
        assert run.new_files == []
        errors = [line for line in run.err.splitlines() if not line.startswith("  Hint: ")]
        assert len(errors) == 1 and errors[0].startswith("zephyr-ota: error: "), run.err


@_FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 0x104F), st.integers(0, 255)), min_size=1,
                      max_size=4), cut=st.none() | st.integers(0, 0x104F))
def test_mutated_image_info_and_verify(edits, cut, ota, material, tmp_path: Path) -> None:
    image = bytearray(material.image.read_bytes())
    for offset, value in edits:
        image[offset % len(image)] = value
    bad = tmp_path / "in" / "m.bin"
    bad.write_bytes(bytes(image[:cut]))
    _no_traceback(ota("info", "--json", bad))
    run = ota("verify", "-k", material.pub, bad)
    _no_traceback(run)
    if image[:cut] != material.image.read_bytes():
        assert run.rc != 0 or bytes(image[:cut]) == b""   # any change is caught


@_FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(b"0123456789ABCDEF:x \n")),
                      min_size=1, max_size=3))
def test_mutated_hex_sign(edits, ota, material, tmp_path: Path) -> None:
    from image.support import write_hex

    fw = tmp_path / "in" / "fw.hex"
    if not fw.exists():
        write_hex(fw, material.firmware.read_bytes(), 0x10000)
    text = bytearray(fw.read_bytes())
    for offset, value in edits:
        text[offset % len(text)] = value
    bad = tmp_path / "in" / "m.hex"
    bad.write_bytes(bytes(text))
    _no_traceback(ota("sign", "-k", material.key, *HEADER, bad, tmp_path / "out" / "o.bin"))
    for leftover in (tmp_path / "out").glob("*"):
        leftover.unlink()
