"""The generated build directories are what they claim: hex files agree with
the ELF load addresses, MCUboot sits at the boot partition, .config files
round-trip, and the real Zephyr 4.4.0 firmware keeps its bytes."""

from __future__ import annotations

import io
from importlib import resources

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import given
from hypothesis import strategies as st

from fixtures.builddirs import REAL_PACKAGE, SPECS, _conf
from fixtures.ihex import to_ihex
from zephyr_ota.zephyr.builddir import read_build_dir
from zephyr_ota.zephyr.kconfig import parse_config


def read_ihex(text: str) -> dict[int, int]:
    """address -> byte, checking every record's checksum (independent of fixtures.ihex)."""
    out, upper = {}, 0
    for line in text.split():
        raw = bytes.fromhex(line[1:])
        assert sum(raw) & 0xFF == 0, line
        n, addr, kind = raw[0], int.from_bytes(raw[1:3], "big"), raw[3]
        if kind == 4:
            upper = int.from_bytes(raw[4:6], "big") << 16
        elif kind == 2:
            upper = int.from_bytes(raw[4:6], "big") << 4
        elif kind == 0:
            for i, b in enumerate(raw[4:4 + n]):
                out[upper + addr + i] = b
    return out


@pytest.mark.parametrize("name", sorted(n for n in SPECS if "real" not in n))
def test_hex_matches_elf_load_segments(make_zephyr_build, name: str) -> None:  # type: ignore[no-untyped-def]
    bd = read_build_dir(make_zephyr_build(name)[0])
    for app in bd.apps:
        elf = ELFFile(io.BytesIO(app.firmware.read_bytes()))
        expect = {}
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD":
                for i, b in enumerate(seg.data()):
                    expect[seg["p_paddr"] + i] = b
        assert app.hex_path is not None
        assert read_ihex(app.hex_path.read_text()) == expect
    boot = (bd.mcuboot_devicetree or bd.app.devicetree).layout.partition("boot_partition")
    assert bd.mcuboot is not None and bd.mcuboot.hex_path is not None
    mcuboot = read_ihex(bd.mcuboot.hex_path.read_text())
    assert min(mcuboot) == boot.address and max(mcuboot) < boot.address + boot.size


def test_real_firmware_rebased_keeps_its_bytes(make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    real = read_ihex(resources.files(REAL_PACKAGE).joinpath("firmware.hex").read_text())
    assert (min(real), max(real) + 1) == (0x0, 0x1CFC4)
    bd = read_build_dir(make_zephyr_build("nrf52840dk_real440_rebased")[0])
    moved = read_ihex(bd.app.firmware.read_text())
    assert min(moved) == 0xC200
    assert all(moved[a + 0xC200] == b for a, b in real.items())


def test_ihex_writer_crosses_64k_pages() -> None:
    data = bytes(range(256)) * 2
    got = read_ihex(to_ihex([(0xFFF00, data)]))
    assert got == {0xFFF00 + i: b for i, b in enumerate(data)}


names = st.from_regex(r"CONFIG_[A-Z][A-Z0-9_]{0,20}", fullmatch=True)
values = st.one_of(st.booleans(), st.integers(0, 2**32), st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'), max_size=30))


@given(st.dictionaries(names, values, max_size=12))
def test_generated_config_round_trips(entries: dict) -> None:  # type: ignore[type-arg]
    k = parse_config(_conf(entries), "gen")
    for name, value in entries.items():
        if isinstance(value, bool):
            assert k.flag(name) is value
        elif isinstance(value, int):
            assert k.integer(name) == value
        else:
            assert k.string(name) == value
