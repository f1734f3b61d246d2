"""Partition Manager migration: labels MCUboot expects, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.layout.golden import DTS, GOLDEN, MX25_4K, PM
from zephyr_ota.errors import InputError
from zephyr_ota.layout.model import FlashGeometry
from zephyr_ota.layout.pm_import import parse_pm, pm_to_layout
from zephyr_ota.zephyr.devicetree import load_devicetree
from zephyr_ota.zephyr.geometry_yaml import load_geometry_yaml

INT = FlashGeometry("/flash0", 0x100000, 0x1000, 4, base_address=0)
EXT = FlashGeometry("/ext", 0x800000, 0x1000, 4, external=True)

FIXTURES = {
    "pm-nrf52840-external": ("nrf52840dk_mx25r64.dts", "nrf52840_external_pm_static.yml", {
        "mcuboot": "boot_partition", "mcuboot_primary": "slot0_partition",
        "mcuboot_secondary": "slot1_partition", "settings_storage": "storage_partition"}),
    "pm-nrf5340-netcore": ("nrf5340dk_cpuapp_2images.dts", "nrf5340_netcore_partitions.yml", {
        "mcuboot": "boot_partition", "mcuboot_primary": "slot0_partition",
        "mcuboot_secondary": "slot1_partition", "mcuboot_primary_1": "slot2_partition",
        "mcuboot_secondary_1": "slot3_partition", "settings_storage": "storage_partition"}),
}


@pytest.mark.parametrize("case", FIXTURES)
def test_migrated_overlay_matches_pm_byte_for_byte(case: str, tmp_path: Path) -> None:
    dts, pm_name, labels = FIXTURES[case]
    pm = parse_pm((PM / pm_name).read_text(), pm_name)
    merged = tmp_path / "merged.dts"
    merged.write_text((DTS / dts).read_text() + (GOLDEN / case / "boards/board.overlay").read_text())
    again = load_devicetree(merged, geometry=load_geometry_yaml(MX25_4K))
    by_name = {p.name: p for p in pm.partitions}
    got = {p.label: p for p in again.layout.partitions}
    assert set(got) == set(labels.values())
    for pm_name_, label in labels.items():
        src, dst = by_name[pm_name_], got[label]
        assert (dst.offset, dst.size) == (src.address, src.size), label
        external = src.region == "external_flash"
        assert again.layout.flash(dst.flash).external is external


def test_fates_explain_every_pm_partition() -> None:
    pm = parse_pm((PM / "nrf52840_external_pm_static.yml").read_text(), "pm_static.yml")
    mig = pm_to_layout(pm, (INT, EXT), "/flash0", "/ext")
    fates = {f.pm.name: (f.label, f.reason) for f in mig.fates}
    assert fates["mcuboot_pad"] == (None, "inside mcuboot_primary")
    assert fates["app"] == (None, "inside mcuboot_primary")
    assert fates["external_flash"] == (None, "free space of the external flash")
    assert fates["sram_primary"] == (None, "region sram_primary is not flash")
    assert "mcuboot_pad (0x200): MCUboot's image header inside mcuboot_primary; " \
           "CONFIG_ROM_START_OFFSET=0x200 keeps it" in mig.notes
    assert mig.layout.code_partition == "slot0_partition"


def test_unknown_partition_kept_and_ram_flash_skipped() -> None:
    text = ("mcuboot: {address: 0x0, size: 0xc000, region: flash_primary}\n"
            "mcuboot_primary: {address: 0xc000, size: 0x70000, region: flash_primary}\n"
            "mcuboot_secondary: {address: 0x7c000, size: 0x70000, region: flash_primary}\n"
            "mcuboot_primary_1: {address: 0x0, size: 0x40000, region: ram_flash}\n"
            "nrf70_wifi_fw: {address: 0xec000, size: 0x10000, region: flash_primary}\n")
    mig = pm_to_layout(parse_pm(text, "pm.yml"), (INT,), "/flash0")
    fates = {f.pm.name: (f.label, f.reason) for f in mig.fates}
    assert fates["mcuboot_primary_1"] == (None, "region ram_flash is not flash")
    assert fates["nrf70_wifi_fw"] == ("nrf70_wifi_fw_partition", "")
    assert "nrf70_wifi_fw: kept as nrf70_wifi_fw_partition (no MCUboot label for it)" in mig.notes


@pytest.mark.parametrize(("text", "message"), [
    ("mcuboot: [1, 2\n", "pm.yml:2: invalid YAML: expected ',' or ']', but got '<stream end>'"),
    ("- a\n", "pm.yml: expected a mapping of partition names, got list"),
    ("a: {address: 0}\nmcuboot:\n  address: 0x0\n", "pm.yml:1: a: missing 'size'"),
    ("x: 1\nmcuboot: {address: 0, size: 0x10}\n", "pm.yml:1: x: expected a mapping, got 1"),
    ("mcuboot:\n  address: 0x0\n  size: 0xc000\n  end_address: 0xd000\n",
     "pm.yml:1: mcuboot: end_address 0xd000 is not address + size 0xc000"),
    ("mcuboot: {address: zero, size: 0x10}\n",
     "pm.yml:1: mcuboot.address: expected an integer, got 'zero'"),
])
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_pm(text, "pm.yml")
    assert str(exc.value) == message


def test_external_region_without_external_flash() -> None:
    pm = parse_pm("mcuboot_secondary: {address: 0, size: 0x1000, region: external_flash}\n", "pm.yml")
    with pytest.raises(InputError) as exc:
        pm_to_layout(pm, (INT,), "/flash0")
    assert str(exc.value) == ("pm.yml:1: mcuboot_secondary: region external_flash but no external "
                              "flash in the devicetree")
