"""Firmware inputs: the model's rules, raw binaries, ELF files (physical
addresses), and load_firmware's choice of reader."""

from __future__ import annotations

import pytest

from helpers.elf_builder import ElfSegment, build_elf, zephyr_like_app
from zephyr_ota.errors import InputError
from zephyr_ota.firmware import Firmware, Segment, detect_kind, load_firmware


def test_segment_rules() -> None:
    assert Segment(0x10, b"ab").end == 0x12
    with pytest.raises(ValueError):
        Segment(-1, b"a")
    with pytest.raises(ValueError):
        Segment(0, b"")


def test_firmware_rules() -> None:
    with pytest.raises(ValueError, match="sorted and disjoint"):
        Firmware("x", "hex", (Segment(0, b"ab"), Segment(1, b"c")), base_address=0)
    with pytest.raises(ValueError, match="raw binary"):
        Firmware("x", "bin", (Segment(0, b"ab"),), base_address=0)
    with pytest.raises(ValueError, match="base_address"):
        Firmware("x", "hex", (Segment(4, b"ab"),), base_address=0)
    with pytest.raises(ValueError, match="at least one segment"):
        Firmware("x", "hex", (), base_address=None)


def test_binary(tmp_path) -> None:
    path = tmp_path / "app.bin"
    path.write_bytes(b"\x01\x02\x03")
    fw = load_firmware(path)
    assert (fw.kind, fw.base_address, fw.start, fw.size) == ("bin", None, 0, 3)
    assert fw.to_bytes() is fw.segments[0].data


def test_empty_binary(tmp_path) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    with pytest.raises(InputError) as e:
        load_firmware(path)
    assert str(e.value) == f"{path}: empty firmware file: expected at least one byte"


def test_missing_binary(tmp_path) -> None:
    with pytest.raises(InputError) as e:
        load_firmware(tmp_path / "nope.bin")
    assert str(e.value) == f"{tmp_path / 'nope.bin'}: firmware file not found"


def test_elf_uses_physical_addresses(tmp_path) -> None:
    segments = zephyr_like_app(0x0000_C200, 0x400, data_size=0x40)
    path = tmp_path / "zephyr.elf"
    path.write_bytes(build_elf(segments))
    fw = load_firmware(path)
    text, data, _bss = segments
    assert fw.kind == "elf" and fw.base_address == 0xC200
    # .data runs at 0x20000000 but loads right after the code: one contiguous segment
    assert [(s.address, len(s.data)) for s in fw.segments] == [(0xC200, 0x440)]
    assert fw.to_bytes() == text.data + data.data


def test_elf_with_gap(tmp_path) -> None:
    path = tmp_path / "zephyr.exe"   # no known extension: the magic decides
    path.write_bytes(build_elf([ElfSegment(0x1000, b"\xaa" * 8),
                                ElfSegment(0x1010, b"\xbb" * 4, name=".rodata")]))
    fw = load_firmware(path)
    assert fw.kind == "elf"
    assert fw.to_bytes(0x00) == b"\xaa" * 8 + b"\x00" * 8 + b"\xbb" * 4


def test_elf_without_loadable_segments(tmp_path) -> None:
    path = tmp_path / "empty.elf"
    path.write_bytes(build_elf([ElfSegment(0x2000_0000, b"", memsz=0x100, name="bss")]))
    with pytest.raises(InputError) as e:
        load_firmware(path)
    assert str(e.value) == (f"{path}: no loadable segments: expected at least one PT_LOAD "
                            f"program header with file data")


def test_elf_overlapping_segments(tmp_path) -> None:
    path = tmp_path / "overlap.elf"
    path.write_bytes(build_elf([ElfSegment(0x1000, b"\x00" * 16),
                                ElfSegment(0x2000, b"\x11" * 16, paddr=0x1008, name="d")]))
    with pytest.raises(InputError) as e:
        load_firmware(path)
    assert str(e.value) == f"{path}: loadable segments overlap: 0x1008..0x1010 is loaded twice"


def test_truncated_elf(tmp_path) -> None:
    path = tmp_path / "cut.elf"
    path.write_bytes(build_elf(zephyr_like_app(0x1000, 0x100))[:60])
    with pytest.raises(InputError) as e:
        load_firmware(path)
    assert str(e.value).startswith(f"{path}: malformed ELF file: ")
    assert "\n" not in str(e.value)


def test_not_an_elf(tmp_path) -> None:
    path = tmp_path / "x.elf"
    path.write_bytes(b"MZ\x90\x00rest")
    with pytest.raises(InputError) as e:
        load_firmware(path, kind="elf")
    assert str(e.value) == f"{path}: expected an ELF file (magic 7f 45 4c 46), found 4d 5a 90 00"


def test_detect_kind(tmp_path) -> None:
    (tmp_path / "a.HEX").write_bytes(b":00000001FF\n")
    (tmp_path / "a.bin").write_bytes(b"\x7fELF")   # .bin is raw, as imgtool reads it
    (tmp_path / "zephyr").write_bytes(b"\x7fELF")
    (tmp_path / "a.dat").write_bytes(b"data")
    assert detect_kind(tmp_path / "a.HEX") == "hex"
    assert detect_kind(tmp_path / "a.bin") == "bin"
    assert detect_kind(tmp_path / "zephyr") == "elf"
    assert detect_kind(tmp_path / "a.dat") == "bin"
    assert detect_kind(tmp_path / "missing.hex") == "hex"
    assert detect_kind(tmp_path / "missing.elf") == "elf"


def test_bad_erased_value(tmp_path) -> None:
    with pytest.raises(ValueError):
        load_firmware(tmp_path / "x.bin", erased_val=0x12)
