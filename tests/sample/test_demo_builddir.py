"""sample-app/demo/builddir.py: the demo's stand-in for `west build --sysbuild`.

The build directory it writes must read back through the package's own
build-directory reader exactly as a real one does, with the firmware at the
primary slot behind the header gap; its Intel HEX code agrees with the
intelhex package (installed with imgtool, the test oracle).
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from pathlib import Path

import intelhex
import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "sample-app" / "demo"
sys.path.insert(0, str(DEMO))

import builddir  # noqa: E402

FIRMWARE = pytest.importorskip("zephyr_4_4_0_hci_usb_nrf52840dk_default")

# A swap-using-offset layout for the nRF52840 (secondary one 4 KiB sector larger).
OVERLAY = """\
/delete-node/ &boot_partition;
/delete-node/ &slot0_partition;
/delete-node/ &slot1_partition;
/delete-node/ &storage_partition;
&flash0 {
	partitions {
		compatible = "fixed-partitions";
		#address-cells = <1>;
		#size-cells = <1>;
		boot_partition: partition@0 { label = "mcuboot"; reg = <0x0 0xc000>; };
		slot0_partition: partition@c000 { label = "image-0"; reg = <0xc000 0x75000>; };
		slot1_partition: partition@81000 { label = "image-1"; reg = <0x81000 0x76000>; };
		storage_partition: partition@f8000 { label = "storage"; reg = <0xf8000 0x8000>; };
	};
};
"""


def test_ihex_round_trip_against_intelhex() -> None:
    data = bytes(range(256)) * 700                 # crosses a 64 KiB boundary
    text = builddir.ihex(0xFFF0, data)
    oracle = intelhex.IntelHex(io.StringIO(text.decode()))
    assert oracle.minaddr() == 0xFFF0
    assert oracle.tobinstr(start=0xFFF0, end=0xFFF0 + len(data) - 1) == data
    tmp = io.StringIO()
    oracle.write_hex_file(tmp)


def test_read_ihex_matches_intelhex_on_the_pypi_firmware() -> None:
    start, data = builddir.read_ihex(Path(FIRMWARE.HEX_PATH))
    oracle = intelhex.IntelHex(str(FIRMWARE.HEX_PATH))
    assert start == oracle.minaddr() == 0
    assert data == oracle.tobinstr(start=0, end=oracle.maxaddr())


def test_read_ihex_refuses_a_bad_record(tmp_path: Path) -> None:
    bad = tmp_path / "bad.hex"
    bad.write_text(":0100000000FE\n")              # checksum off by one
    with pytest.raises(ValueError, match=r"bad.hex:1: not an Intel HEX record"):
        builddir.read_ihex(bad)


def test_placeholder_mcuboot_is_a_cortex_m_vector_table() -> None:
    oracle = intelhex.IntelHex(io.StringIO(builddir.placeholder_mcuboot_hex().decode()))
    sp, reset = struct.unpack("<II", oracle.tobinstr(start=0, end=7))
    assert sp == 0x20040000 and reset == 0x101
    assert oracle.tobinstr(start=0x100, end=0x101) == b"\xfe\xe7"


def layout_files(tmp: Path) -> builddir.LayoutFiles:
    (tmp / "layout.overlay").write_text(OVERLAY)
    (tmp / "app.conf").write_text("CONFIG_ROM_START_OFFSET=0x200\n"
                                  "CONFIG_MCUBOOT_BOOTLOADER_MODE_SWAP_USING_OFFSET=y\n")
    (tmp / "mcuboot.conf").write_text("# MCUboot\nCONFIG_BOOT_SWAP_USING_OFFSET=y\n"
                                      "CONFIG_BOOT_MAX_IMG_SECTORS=118\n")
    (tmp / "sysbuild.conf").write_text("SB_CONFIG_MCUBOOT_MODE_SWAP_USING_OFFSET=y\n")
    return builddir.LayoutFiles(
        app_overlay=tmp / "layout.overlay", mcuboot_overlay=tmp / "layout.overlay",
        app_fragment=tmp / "app.conf", mcuboot_fragment=tmp / "mcuboot.conf",
        sysbuild_fragment=tmp / "sysbuild.conf")


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("demo")
    keys = tmp / "keys"
    subprocess.run([sys.executable, "-m", "zephyr_ota", "keys", "init", "--keys-dir", str(keys),
                    "-t", "ecdsa-p256", "--encrypt", "--project", "demo", "--force"],
                   check=True, capture_output=True)
    return builddir.assemble(builddir.DemoBuild(
        out=tmp / "build", board_dts=DEMO / "nrf52840dk_nrf52840.dts", layout=layout_files(tmp),
        keys_dir=keys, firmware_hex=Path(FIRMWARE.HEX_PATH), app_source=REPO / "sample-app",
        version="1.0.0+0"))


def test_build_dir_reads_like_a_sysbuild_build(build: Path) -> None:
    from zephyr_ota.layout.model import UpgradeMode
    from zephyr_ota.zephyr.builddir import read_build_dir

    bd = read_build_dir(build)
    app = bd.app
    assert app.domain == "sample-app" and app.image_index == 0
    assert app.firmware.name == "zephyr.hex" and app.firmware_format == "hex"
    assert app.options.rom_start_offset.value == 0x200
    assert app.options.sign_version.value == "1.0.0+0"
    assert app.options.mode.value is UpgradeMode.SWAP_USING_OFFSET
    # The layout's fragments reach the image configurations.
    assert bd.mcuboot.max_img_sectors.value == 118
    slot0, slot1 = bd.slots(0)
    assert (slot0.offset, slot0.size) == (0xC000, 0x75000)
    assert (slot1.offset, slot1.size) == (0x81000, 0x76000)


def test_firmware_sits_at_slot0_behind_the_header_gap(build: Path) -> None:
    hexfile = intelhex.IntelHex(str(build / "sample-app" / "zephyr" / "zephyr.hex"))
    _, firmware = builddir.read_ihex(Path(FIRMWARE.HEX_PATH))
    assert hexfile.minaddr() == 0xC000
    assert hexfile.tobinstr(start=0xC000, end=0xC1FF) == bytes(0x200)
    assert hexfile.tobinstr(start=0xC200, end=0xC200 + len(firmware) - 1) == firmware


def test_devicetree_has_the_layout_applied(build: Path) -> None:
    from devicetree import dtlib

    for image in ("sample-app", "mcuboot"):
        dt = dtlib.DT(str(build / image / "zephyr" / "zephyr.dts"))
        assert builddir.partition(dt, "slot1_partition") == (0x81000, 0x76000)
        assert dt.get_node("/chosen").props["zephyr,code-partition"].to_path().path \
            .endswith("partition@c000")


def test_demo_build_refuses_a_missing_input(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="app_overlay: .*nope.overlay: no such file"):
        builddir.LayoutFiles(app_overlay=tmp_path / "nope.overlay",
                             mcuboot_overlay=tmp_path / "nope.overlay",
                             app_fragment=tmp_path / "a", mcuboot_fragment=tmp_path / "b",
                             sysbuild_fragment=tmp_path / "c")


def test_demo_build_needs_a_header_size(tmp_path: Path) -> None:
    files = layout_files(tmp_path)
    files.app_fragment.write_text("CONFIG_BOOTLOADER_MCUBOOT=y\n")
    with pytest.raises(ValueError, match=r"app.conf: expected CONFIG_ROM_START_OFFSET "
                       r"\(the MCUboot header size\), got None"):
        builddir.assemble(builddir.DemoBuild(
            out=tmp_path / "build", board_dts=DEMO / "nrf52840dk_nrf52840.dts", layout=files,
            keys_dir=tmp_path, firmware_hex=Path(FIRMWARE.HEX_PATH), app_source=tmp_path,
            version="1.0.0"))
