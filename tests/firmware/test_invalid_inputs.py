"""Each invalid firmware file in tests/firmware/data/ given to ``zephyr-ota
sign``: one line naming file:line and the problem, exit 1, no traceback, no
output file. ELF cases are synthesized (binary fixtures are made by code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.elf_builder import ElfSegment, build_elf, zephyr_like_app
from zephyr_ota.cli import main
from zephyr_ota.keys import KeyType, generate_key

DATA = Path(__file__).parent / "data"
EXPECTED = {
    "invalid_after_eof.hex": ":3: record after the end-of-file record on line 2",
    "invalid_checksum.hex": ":3: bad checksum: expected 0x68, found 0x00",
    "invalid_empty.hex": ": no data records: expected Intel HEX data, found none",
    "invalid_length.hex": ":1: record length 17 does not match the 16 data bytes on the line",
    "invalid_not_hex.hex": ":1: expected a record starting with ':', found 'This is not an I'",
    "invalid_odd_digits.hex": ":2: expected hexadecimal digits in pairs, found '1000100000010203'",
    "invalid_overlap.hex": ":4: overlapping records: 0x8000008..0x800000C already holds data "
                           "from line 2",
    "invalid_record_type.hex": ":2: unknown record type 0x07: expected 00..05",
}


@pytest.fixture(scope="module")
def key(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("key") / "ed25519.pem"
    path.write_bytes(generate_key(KeyType.ED25519).private_pem())
    return path


def sign(key: Path, infile: Path, outfile: Path) -> list[str]:
    return ["sign", "-k", str(key), "-H", "0x200", "--pad-header", "-S", "0x20000",
            "-v", "1.0.0", str(infile), str(outfile)]


def test_every_invalid_file_has_an_expectation() -> None:
    assert sorted(p.name for p in DATA.glob("invalid_*.hex")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_hex(name: str, key: Path, tmp_path, capsys) -> None:
    infile = DATA / name
    outfile = tmp_path / "out.bin"
    assert main(sign(key, infile, outfile)) == 1
    out, err = capsys.readouterr()
    assert err == f"zephyr-ota: error: {infile}{EXPECTED[name]}\n"
    assert out == "" and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "blob", "message"), [
    ("nothing.elf", build_elf([ElfSegment(0x2000_0000, b"", memsz=0x100, name="bss")]),
     ": no loadable segments: expected at least one PT_LOAD program header with file data"),
    ("overlap.elf", build_elf([ElfSegment(0x1000, b"\0" * 16),
                               ElfSegment(0x2000, b"\1" * 16, paddr=0x1008, name="d")]),
     ": loadable segments overlap: 0x1008..0x1010 is loaded twice"),
    ("cut.elf", build_elf(zephyr_like_app(0x1000, 0x100))[:60], ": malformed ELF file: "),
])
def test_invalid_elf(name: str, blob: bytes, message: str, key: Path, tmp_path, capsys) -> None:
    infile = tmp_path / name
    infile.write_bytes(blob)
    outfile = tmp_path / "out.bin"
    assert main(sign(key, infile, outfile)) == 1
    _, err = capsys.readouterr()
    assert err.startswith(f"zephyr-ota: error: {infile}{message}")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not outfile.exists()


def test_elf_input_signs(key: Path, tmp_path, capsys) -> None:
    """ELF in (imgtool cannot take it): imgtool verifies the image, whose body
    is the loadable bytes placed by physical address (.data after the code)."""
    from click.testing import CliRunner
    from imgtool.main import imgtool

    segments = zephyr_like_app(0x0, 0x800, data_size=0x40)
    infile = tmp_path / "zephyr.elf"
    infile.write_bytes(build_elf(segments))
    outfile = tmp_path / "out.bin"
    assert main(sign(key, infile, outfile)) == 0
    result = CliRunner().invoke(imgtool, ["verify", "-k", str(key), str(outfile)])
    assert result.exit_code == 0, result.output
    image = outfile.read_bytes()
    assert image[0x200:0x200 + 0x840] == segments[0].data + segments[1].data
