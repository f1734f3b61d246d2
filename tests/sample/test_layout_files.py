"""The sample's layout files are exactly what `zephyr-ota layout` (the same
code as `west ota-layout`) writes for nrf52840dk today.

The command runs on the bundled board devicetree into a temporary folder;
then, file by file, the sample must hold the same bytes -- the MCUboot
overlay under the name sysbuild picks up for MCUboot (sysbuild/mcuboot.overlay,
see sample-app/README.md) -- and its hand-written configuration must contain
every line of the layout's Kconfig fragments.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample-app"
BOARD = "nrf52840dk_nrf52840"
# The command the sample's README gives (section 2).
LAYOUT_ARGS = ("layout", "demo/nrf52840dk_nrf52840.dts", "--mode", "swap-using-offset",
               "--signature", "ecdsa-p256", "--encrypt", "aes128")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("layout")
    proc = subprocess.run([sys.executable, "-m", "zephyr_ota", *LAYOUT_ARGS, "-o", str(out)],
                          cwd=SAMPLE, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


def mcuboot_overlay(generated: Path) -> Path:
    """The MCUboot overlay the command wrote, wherever it puts it under sysbuild/."""
    found = [p for p in (generated / "sysbuild").rglob("*.overlay")]
    assert len(found) == 1, found
    return found[0]


def symbol_lines(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")}


def test_application_overlay_is_generated(generated: Path) -> None:
    assert (SAMPLE / "boards" / f"{BOARD}.overlay").read_bytes() == \
        (generated / "boards" / f"{BOARD}.overlay").read_bytes()


def test_mcuboot_overlay_is_generated(generated: Path) -> None:
    assert (SAMPLE / "sysbuild" / "mcuboot.overlay").read_bytes() == \
        mcuboot_overlay(generated).read_bytes()


def test_mcuboot_fragment_is_generated(generated: Path) -> None:
    assert (SAMPLE / "sysbuild" / "mcuboot.conf").read_bytes() == \
        (generated / "sysbuild" / "mcuboot.conf").read_bytes()


def test_sysbuild_conf_has_the_layout_lines(generated: Path) -> None:
    assert symbol_lines(generated / "sysbuild.conf") <= symbol_lines(SAMPLE / "sysbuild.conf")


def test_prj_conf_has_the_layout_lines(generated: Path) -> None:
    assert symbol_lines(generated / "ota-layout.conf") <= symbol_lines(SAMPLE / "prj.conf")


def test_no_sysbuild_mcuboot_folder() -> None:
    # A sysbuild/mcuboot/ folder would become MCUboot's APPLICATION_CONFIG_DIR
    # (share/sysbuild/cmake/modules/sysbuild_extensions.cmake,
    # ExternalZephyrProject_Add) and MCUboot's own prj.conf would no longer be
    # found there.
    assert not (SAMPLE / "sysbuild" / "mcuboot").exists()


def test_overlays_check_clean(generated: Path, tmp_path: Path) -> None:
    # The sample's layout, applied to the board, passes the mode's checks.
    merged = tmp_path / "zephyr.dts"
    merged.write_text((SAMPLE / "demo" / f"{BOARD}.dts").read_text() + "\n"
                      + (SAMPLE / "boards" / f"{BOARD}.overlay").read_text())
    proc = subprocess.run([sys.executable, "-m", "zephyr_ota", "layout", str(merged), "--check",
                           "--mode", "swap-using-offset", "--encrypt", "aes128"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_overlays_compile_with_dtc(tmp_path: Path) -> None:
    import shutil

    if shutil.which("dtc") is None:
        pytest.skip("dtc not installed")
    for overlay in (SAMPLE / "boards" / f"{BOARD}.overlay", SAMPLE / "sysbuild" / "mcuboot.overlay"):
        merged = tmp_path / "merged.dts"
        merged.write_text((SAMPLE / "demo" / f"{BOARD}.dts").read_text() + "\n" + overlay.read_text())
        proc = subprocess.run(["dtc", "-I", "dts", "-O", "dtb", "-o", str(tmp_path / "out.dtb"),
                               str(merged)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_west_ota_layout_writes_the_same(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The real `west ota-layout`, in a workspace with this repository as a
    project, writes the same files as the command the tests above ran."""
    conftest = importlib.import_module("tests.west_workspace.conftest")
    top = conftest.project_workspace(tmp_path_factory.mktemp("west-sample"))
    out = tmp_path_factory.mktemp("west-layout-out")
    dts = str(SAMPLE / LAYOUT_ARGS[1])
    conftest.run([conftest.west_exe(), "ota-layout", dts, *LAYOUT_ARGS[2:], "-o", str(out)], top)
    for name in (f"boards/{BOARD}.overlay", "sysbuild/mcuboot.conf", "sysbuild.conf",
                 "ota-layout.conf"):
        assert (out / name).read_bytes() == (generated / name).read_bytes(), name
    assert mcuboot_overlay(out).read_bytes() == (SAMPLE / "sysbuild" / "mcuboot.overlay").read_bytes()
    # The sample's configuration passes `west ota-keys check` in development mode.
    keys, config = out / "keys", str(SAMPLE / "ota.yml")
    conftest.run([conftest.west_exe(), "ota-keys", "init", "--config", config,
                  "--keys-dir", str(keys)], top)
    check = conftest.run([conftest.west_exe(), "ota-keys", "check", "--config", config,
                          "--keys-dir", str(keys)], top)
    assert "no errors" in check.stdout + check.stderr
