"""zephyr.devicetree: every fixture style parses to the partitions its .dts
says, flash geometry carries its source, findings and errors are exact."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from zephyr_ota.errors import InputError
from zephyr_ota.layout.model import PartitionStyle
from zephyr_ota.zephyr.devicetree import image_pairs, load_devicetree, slot_labels
from zephyr_ota.zephyr.geometry_yaml import load_geometry_yaml
from zephyr_ota.zephyr.kconfig import parse_config

DTS = Path(__file__).resolve().parent.parent / "data" / "dts"
FIXED, SUB, MAPPED = (PartitionStyle.FIXED.value, PartitionStyle.SUBPARTITION.value,
                      PartitionStyle.MAPPED.value)
NRF52_FLASH = "/soc/flash-controller@4001e000/flash@0"
MX25 = "/soc/qspi@40029000/mx25r6435f@0"

# (label, offset, size, style, CPU address or None, container) per fixture, from the .dts text.
EXPECTED = {
    "nrf52840dk.dts": [
        ("boot_partition", 0x0, 0xC000, FIXED, 0x0, ""),
        ("slot0_partition", 0xC000, 0x76000, FIXED, 0xC000, ""),
        ("slot1_partition", 0x82000, 0x76000, FIXED, 0x82000, ""),
        ("storage_partition", 0xF8000, 0x8000, FIXED, 0xF8000, "")],
    "nrf52840dk_mx25r64.dts": [
        ("boot_partition", 0x0, 0xC000, FIXED, 0x0, ""),
        ("slot0_partition", 0xC000, 0xEC000, FIXED, 0xC000, ""),
        ("storage_partition", 0xF8000, 0x8000, FIXED, 0xF8000, ""),
        ("slot1_partition", 0x0, 0xEC000, FIXED, None, ""),
        ("lfs_partition", 0xEC000, 0x714000, FIXED, None, "")],
    "nrf5340dk_cpuapp_2images.dts": [
        ("boot_partition", 0x0, 0x10000, FIXED, 0x0, ""),
        ("slot0_partition", 0x10000, 0x70000, FIXED, 0x10000, ""),
        ("slot2_partition", 0x80000, 0x40000, FIXED, 0x80000, ""),
        ("storage_partition", 0xF8000, 0x8000, FIXED, 0xF8000, ""),
        ("slot1_partition", 0x0, 0x70000, FIXED, None, ""),
        ("slot3_partition", 0x70000, 0x40000, FIXED, None, "")],
    "nrf5340_cpunet.dts": [
        ("slot0_partition", 0x0, 0x3C000, FIXED, 0x01000000, ""),
        ("storage_partition", 0x3C000, 0x4000, FIXED, 0x0103C000, "")],
    "stm32f4_disco.dts": [
        ("boot_partition", 0x0, 0x20000, FIXED, 0x08000000, ""),
        ("slot0_partition", 0x20000, 0x60000, FIXED, 0x08020000, ""),
        ("slot1_partition", 0x80000, 0x60000, FIXED, 0x08080000, ""),
        ("scratch_partition", 0xE0000, 0x20000, FIXED, 0x080E0000, "")],
    "rp2040_xip.dts": [
        ("second_stage_bootloader", 0x0, 0x100, FIXED, 0x10000000, ""),
        ("boot_partition", 0x100, 0xFF00, FIXED, 0x10000100, ""),
        ("slot0_partition", 0x10000, 0xF0000, FIXED, 0x10010000, ""),
        ("slot1_partition", 0x100000, 0xF0000, FIXED, 0x10100000, ""),
        ("storage_partition", 0x1F0000, 0x10000, FIXED, 0x101F0000, "")],
    "tfm_subpartitions.dts": [
        ("boot_partition", 0x0, 0x10000, FIXED, 0x0, ""),
        ("slot0_partition", 0x10000, 0x70000, FIXED, 0x10000, ""),
        ("slot0_s_partition", 0x10000, 0x40000, SUB, 0x10000, "slot0_partition"),
        ("slot0_ns_partition", 0x50000, 0x30000, SUB, 0x50000, "slot0_partition"),
        ("slot1_partition", 0x80000, 0x70000, FIXED, 0x80000, ""),
        ("slot1_s_partition", 0x80000, 0x40000, SUB, 0x80000, "slot1_partition"),
        ("slot1_ns_partition", 0xC0000, 0x30000, SUB, 0xC0000, "slot1_partition"),
        ("tfm_ps_partition", 0xF0000, 0x4000, FIXED, 0xF0000, ""),
        ("storage_partition", 0xF8000, 0x8000, FIXED, 0xF8000, "")],
}
NRF54 = [("boot_partition", 0x0, 0x10000), ("slot0_partition", 0x10000, 0xA5000),
         ("slot1_partition", 0xB5000, 0xA5000), ("storage_partition", 0x15A000, 0x8000)]
EXPECTED["nrf54l15_fixed.dts"] = [(lab, o, s, FIXED, o, "") for lab, o, s in NRF54]
EXPECTED["nrf54l15_mapped.dts"] = [(lab, o, s, MAPPED, o, "") for lab, o, s in NRF54]
STM32_GEOM = DTS / "stm32f4-geometry.yml"


def _load(name: str, **kw):  # type: ignore[no-untyped-def]
    if name.startswith("stm32") and "geometry" not in kw:
        kw["geometry"] = load_geometry_yaml(STM32_GEOM)
    return load_devicetree(DTS / name, **kw)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_partitions(name: str) -> None:
    info = _load(name)
    got = [(p.label, p.offset, p.size, p.style, p.address, p.container)
           for p in info.layout.partitions]
    assert got == EXPECTED[name]
    assert info.findings == ()
    code = {"tfm_subpartitions.dts": "slot0_ns_partition"}.get(name, "slot0_partition")
    assert info.layout.code_partition == code


@pytest.mark.parametrize("path", sorted(p for p in DTS.glob("*.dts")
                                        if not p.name.startswith(("invalid_", "cpp_"))),
                         ids=lambda p: p.name)
def test_every_fixture_compiles_with_dtc(path: Path) -> None:
    if not shutil.which("dtc"):
        pytest.skip("dtc (device-tree-compiler) not installed")
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "/dev/null", str(path)],
                   check=True)


def test_style_reported_for_writers() -> None:
    assert _load("nrf54l15_mapped.dts").style == MAPPED
    assert _load("nrf54l15_fixed.dts").style == FIXED
    assert _load("tfm_subpartitions.dts").styles == {FIXED, SUB}


def test_internal_flash_geometry_and_sources() -> None:
    info = _load("nrf52840dk.dts")
    (flash,) = info.layout.flashes
    assert (flash.name, flash.size, flash.erase_block, flash.write_block, flash.base_address,
            flash.external) == (NRF52_FLASH, 0x100000, 4096, 4, 0, False)
    src = {k: str(v) for k, v in info.flash_sources[NRF52_FLASH].items()}
    assert src == {"size": f"{DTS / 'nrf52840dk.dts'} ({NRF52_FLASH} reg)",
                   "erase_block": f"{DTS / 'nrf52840dk.dts'} ({NRF52_FLASH} erase-block-size)",
                   "write_block": f"{DTS / 'nrf52840dk.dts'} ({NRF52_FLASH} write-block-size)"}
    assert info.chosen_flash == NRF52_FLASH


def test_write_block_16_part() -> None:
    (flash,) = _load("nrf54l15_mapped.dts").layout.flashes
    assert (flash.write_block, flash.erase_block, flash.size) == (16, 4096, 0x17D000)


def test_external_flash_defaults_to_driver_kconfig_default() -> None:
    info = _load("nrf52840dk_mx25r64.dts")
    ext = info.layout.flash(MX25)
    assert (ext.size, ext.erase_block, ext.write_block, ext.base_address, ext.external) == (
        0x800000, 65536, 4, None, True)
    src = info.flash_sources[MX25]
    assert str(src["erase_block"]) == ("Kconfig default of CONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT"
                                       "_PAGE_SIZE (65536), no .config given")
    assert str(src["write_block"]) == ("drivers/flash/nrf_qspi_nor.c write_block_size (4), "
                                       "driver constant")
    assert str(src["size"]).endswith(f"({MX25} size (bits))")


def test_external_flash_page_size_from_build_kconfig() -> None:
    conf = parse_config("CONFIG_NORDIC_QSPI_NOR=y\n"
                        "CONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE=4096\n", "app/.config")
    info = _load("nrf52840dk_mx25r64.dts", kconfig=conf)
    assert info.layout.flash(MX25).erase_block == 4096
    assert str(info.flash_sources[MX25]["erase_block"]) == "app/.config:2"


def test_external_flash_from_geometry_yaml(tmp_path: Path) -> None:
    geo = tmp_path / "geo.yml"
    geo.write_text("flashes:\n  - node: mx25r64\n    erase-block-size: 4096\n"
                   "    write-block-size: 1\n")
    info = _load("nrf52840dk_mx25r64.dts", geometry=load_geometry_yaml(geo))
    ext = info.layout.flash(MX25)
    assert (ext.erase_block, ext.write_block) == (4096, 1)
    assert str(info.flash_sources[MX25]["erase_block"]) == f"{geo}:3 (mx25r64 erase-block-size)"


STM32F4_SECTORS = (0x4000,) * 4 + (0x10000,) + (0x20000,) * 7


def test_stm32f4_mixed_sectors_from_yaml() -> None:
    info = _load("stm32f4_disco.dts")
    (flash,) = info.layout.flashes
    assert flash.sectors == STM32F4_SECTORS and flash.erase_block == 0x20000
    assert flash.base_address == 0x08000000 and flash.write_block == 1
    assert flash.sectors_in(0x20000, 0x80000) == (0x20000,) * 3
    key = flash.name
    assert str(info.flash_sources[key]["erase_block"]) == f"{STM32_GEOM}:5 (flash0 sectors)"


def test_stm32f4_mixed_sectors_from_builtin_table() -> None:
    info = load_devicetree(DTS / "stm32f4_disco.dts")
    (flash,) = info.layout.flashes
    assert flash.sectors == STM32F4_SECTORS
    assert str(info.flash_sources[flash.name]["erase_block"]) == \
        "STM32F4 sector map (RM0090 3.3), built-in table"


def test_mapped_partition_without_ranges_is_a_finding() -> None:
    info = _load("finding_mapped_no_ranges.dts")
    assert [p.offset for p in info.layout.partitions] == [0x0, 0x10000, 0xB5000, 0x15A000]
    assert {f.code for f in info.findings} == {"mapped-partition-without-ranges"}
    first = info.findings[0]
    group = "/soc/rram-controller@5004b000/rram@0/partitions"
    assert first.message == (
        f"{DTS / 'finding_mapped_no_ranges.dts'}: {group}/partition@0: parent {group} has no "
        "'ranges' property; Zephyr cannot map this zephyr,mapped-partition (add 'ranges;')")


def test_image_pairs_and_labels() -> None:
    layout = _load("nrf5340dk_cpuapp_2images.dts").layout
    pairs = image_pairs(layout)
    assert [(a.label, b.label if b else None) for a, b in pairs] == [
        ("slot0_partition", "slot1_partition"), ("slot2_partition", "slot3_partition")]
    assert slot_labels(1) == ("slot2_partition", "slot3_partition")
    assert image_pairs(_load("nrf5340_cpunet.dts").layout)[0][1] is None


def test_zephyr_base_copy_of_dtlib_is_preferred(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # With devicetree already imported the PyPI copy stays; the reader must still work.
    monkeypatch.setenv("ZEPHYR_BASE", str(tmp_path))
    assert _load("nrf52840dk.dts").layout.partition("slot0_partition") is not None


INVALID = {
    "invalid_syntax.dts": "{p}:5 (column 2): parse error: expected ';' or ','",
    "invalid_cpp_include.dts": "{p}:2:10: fatal error: nordic/nrf52840_qiaa.dtsi: No such "
                               "file or directory",
    "invalid_cpp_syntax.dts": "{p}:6 (column 1): parse error: expected ';' or ','",
    "invalid_partition_no_reg.dts": "{p}: /flash@0/partitions/partition@0: partition has no "
                                    "valid reg property",
    "invalid_undefined_label.dts": "{p}: /chosen: undefined node label 'slot9_partition'",
    "invalid_unknown_flash_geometry.dts": "{p}: /spi@40003000/nor@0: erase-block-size, "
        "write-block-size unknown: not in the devicetree, not in a geometry file, "
        "no driver default",
    "invalid_zero_size_partition.dts": "{p}: /flash@0/partitions/partition@0: partition "
                                       "slot0_partition: size must be positive, got 0",
}


@pytest.mark.parametrize("path", sorted(DTS.glob("invalid_*.dts")), ids=lambda p: p.name)
def test_invalid_devicetree(path: Path) -> None:
    if "cpp" in path.name and not shutil.which("cpp"):
        pytest.skip("no C preprocessor")
    with pytest.raises(InputError) as e:
        load_devicetree(path)
    assert str(e.value) == INVALID[path.name].format(p=path)
    assert "\n" not in str(e.value)


def test_missing_devicetree(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^.*/nope\.dts: devicetree file not found$"):
        load_devicetree(tmp_path / "nope.dts")


def test_board_dts_with_c_preprocessor(tmp_path: Path) -> None:
    if not shutil.which("cpp"):
        pytest.skip("no C preprocessor")
    info = load_devicetree(DTS / "cpp_board.dts", include_path=(str(DTS / "cpp_include"),))
    got = [(p.label, p.offset, p.size) for p in info.layout.partitions]
    assert got == [e[:3] for e in EXPECTED["nrf52840dk.dts"]]
    assert info.layout.flashes[0].size == 0x100000


def test_cpp_output_compiles_with_dtc(tmp_path: Path) -> None:
    if not (shutil.which("cpp") and shutil.which("dtc")):
        pytest.skip("needs cpp and dtc")
    out = tmp_path / "board.pp.dts"
    subprocess.run(["cpp", "-x", "assembler-with-cpp", "-nostdinc", "-undef", "-D__DTS__",
                    "-P", "-E", f"-I{DTS}", f"-I{DTS / 'cpp_include'}", str(DTS / "cpp_board.dts"),
                    "-o", str(out)], check=True)
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "/dev/null", str(out)], check=True)


def test_without_cpp_a_board_dts_is_refused(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CPP", "no-such-cpp-zephyr-ota")
    path = DTS / "cpp_board.dts"
    with pytest.raises(InputError) as e:
        load_devicetree(path)
    assert str(e.value) == f"{path}: has C preprocessor directives and no cpp was found"
    assert e.value.hint == "install cpp, or pass the build's zephyr/zephyr.dts"
