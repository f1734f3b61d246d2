"""``zephyr-ota layout`` in-process: outputs, exit codes, exact one-line errors,
and no file left behind when it fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.layout.golden import DTS, MX25_4K, PM
from zephyr_ota.cli import main

NRF = str(DTS / "nrf52840dk.dts")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_plan_prints_budget_and_defaults(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, "layout", NRF, "--mode", "swap-using-move", "-o", str(tmp_path))
    assert status == 0
    assert "image 0: max image size 475136 bytes (header + code + TLVs) in a 0x76000 slot" in out
    assert "zephyr-ota: default: boot_partition: 0xc000 bytes, default for ecdsa-p256" in err
    assert "zephyr-ota: default: --style fixed" in err
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "boards/nrf52840dk.overlay", "flash-map.svg", "layout-report.txt", "ota-layout.conf",
        "sysbuild.conf", "sysbuild/mcuboot.conf", "sysbuild/mcuboot.overlay"]


def test_default_mode_is_announced(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "layout", NRF, "--check")
    assert status == 0
    assert "zephyr-ota: default: --mode swap-using-offset (sysbuild's default MCUboot mode " \
           "since Zephyr 4.3)" in err


def test_json_summary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = run(capsys, "-q", "layout", NRF, "--mode", "swap-using-offset", "--json",
                         "-o", str(tmp_path))
    data = json.loads(out)
    assert status == 0 and data["ok"] and data["budgets"][0]["max_image_size"] == 116 * 4096
    assert data["kconfig"]["sysbuild"] == {"BOOTLOADER_MCUBOOT": "y",
                                           "MCUBOOT_MODE_SWAP_USING_OFFSET": "y"}


def test_check_ok_and_failing(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "layout", NRF, "--mode", "swap-using-move", "--check")
    assert status == 0 and out.rstrip().endswith("swap-using-move: layout OK")
    status, out, _ = run(capsys, "layout", str(DTS / "finding_mapped_no_ranges.dts"),
                         "--mode", "swap-using-move", "--check")
    assert status == 1
    assert "error: /soc/rram-controller@5004b000/rram@0/partitions/partition@0: parent " \
           "/soc/rram-controller@5004b000/rram@0/partitions has no 'ranges' property" in out
    assert "  Fix: add 'ranges;' to every parent node up to the root" in out


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "-q", "layout", NRF, "--mode", "swap-using-scratch", "--check",
                         "--json")
    data = json.loads(out)
    assert status == 1 and not data["ok"]
    assert [f["code"] for f in data["findings"]] == ["missing"]


def test_from_pm_refuses_layout_that_breaks_rules(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    # without the 4 KiB geometry the MX25R64 has 64 KiB sectors: slot1 (0xec000) is misaligned
    status, out, _ = run(capsys, "layout", str(DTS / "nrf52840dk_mx25r64.dts"), "--mode",
                         "swap-using-move", "--from-pm", str(PM / "nrf52840_external_pm_static.yml"),
                         "-o", str(tmp_path / "out"))
    assert status == 1
    assert "slot1_partition end 0xec000 is not on an erase-sector boundary" in out
    assert out.rstrip().endswith("1 error(s); nothing written")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "message", "code"), [
    (["layout", "--check"], "layout: give a devicetree file (DTS) or a build directory (-d)", 2),
    (["layout", NRF, "-d", "build"], "layout: give a devicetree file (DTS) or a build directory "
     "(-d), not both", 2),
    (["layout", "missing.dts"], "missing.dts: devicetree file not found", 1),
    (["layout", NRF, "--secondary-flash", "nope"], "--secondary-flash: no flash nope in the "
     "devicetree; known: /soc/flash-controller@4001e000/flash@0", 2),
    (["layout", NRF, "--images", "9"], "--images: expected 1 to 4 image pairs, got 9", 2),
    (["layout", NRF, "--max-sectors", "32", "--mode", "swap-using-move"],
     "primary slot: expected at most CONFIG_BOOT_MAX_IMG_SECTORS=32 sectors, got 118", 1),
    (["layout", NRF, "--storage-size", "0x100000"], "/soc/flash-controller@4001e000/flash@0: "
     "storage of 0x100000 bytes leaves no room for image slots in 0xf4000 bytes after MCUboot", 1),
    (["layout", NRF, "--from-pm", "nope.yml"], "nope.yml: Partition Manager file not found", 1),
])
def test_errors_one_line_no_output(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   args: list[str], message: str, code: int) -> None:
    out_dir = tmp_path / "out"
    status, out, err = run(capsys, *args, "-o", str(out_dir))
    assert status == code
    lines = [line for line in err.splitlines() if not line.startswith("zephyr-ota: default:")]
    assert lines[0] == f"zephyr-ota: error: {message}", err
    assert "Traceback" not in err
    assert not out_dir.exists()


def test_bad_geometry_names_file_and_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "geo.yml"
    bad.write_text("flashes:\n  - node: flash0\n    erase-block-size: big\n")
    status, _, err = run(capsys, "layout", NRF, "--geometry", str(bad), "-o", str(tmp_path / "o"))
    assert status == 1
    assert err.startswith(f"zephyr-ota: error: {bad}:3")
    assert not (tmp_path / "o").exists()


def test_secondary_flash_by_node_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, _ = run(capsys, "-q", "layout", str(DTS / "nrf52840dk_mx25r64.dts"), "--mode",
                         "swap-using-scratch", "--secondary-flash", "mx25r6435f", "--geometry",
                         MX25_4K, "-o", str(tmp_path))
    assert status == 0
    assert "slot1_partition      mx25r6435f@0" in out


def test_build_dir_check_uses_mcuboot_config(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    status, out, err = run(capsys, "layout", "-d", str(build), "--check")
    assert status == 0, err
    assert "zephyr-ota: default: --mode swap-using-move (MCUboot's .config)" in err
    assert out.rstrip().endswith("swap-using-move: layout OK")
    status, out, err = run(capsys, "layout", "-d", str(build), "-o", str(tmp_path / "o"))
    assert status == 0, err
    assert (tmp_path / "o" / "boards" / "nrf52840dk_nrf52840.overlay").is_file()


def test_build_dir_fixed_max_sectors_is_used(capsys: pytest.CaptureFixture[str],
                                             make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    # MCUboot built with CONFIG_BOOT_MAX_IMG_SECTORS_AUTO=n and 256 sectors
    build, _ = make_zephyr_build("nrf52840dk_ext_enc")
    status, out, err = run(capsys, "-q", "layout", "-d", str(build), "--check", "--json")
    data = json.loads(out)
    assert data["budgets"][0]["max_img_sectors"] == 256, err
