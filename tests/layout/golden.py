"""Golden outputs of ``zephyr-ota layout``: the cases, and their regeneration.

Regenerate after an intended change, then review the diff:

    python -m tests.layout.golden

Each case runs the real command (in-process) on a devicetree fixture from
tests/data/dts (and a Partition Manager file from tests/data/pm) and keeps
every file it writes under tests/layout/golden/<case>/.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DTS = ROOT / "tests" / "data" / "dts"
PM = ROOT / "tests" / "data" / "pm"
GOLDEN = Path(__file__).resolve().parent / "golden"
MX25_4K = str(PM / "mx25r64-4k.yml")
# Paths inside the cases are relative to ROOT (run_case runs there) so that the
# generated reports do not depend on where the checkout lives.
_DTS = "tests/data/dts"
_PM = "tests/data/pm"
_MX25 = f"{_PM}/mx25r64-4k.yml"

# case name -> (devicetree fixture, extra arguments)
CASES: dict[str, tuple[str, list[str]]] = {
    "nrf52840dk-offset": ("nrf52840dk.dts", ["--mode", "swap-using-offset"]),
    "nrf52840dk-move-mapped": ("nrf52840dk.dts", ["--mode", "swap-using-move", "--style", "mapped"]),
    "nrf52840dk-mx25r64-move": ("nrf52840dk_mx25r64.dts", [
        "--mode", "swap-using-move", "--secondary-flash", "mx25r6435f", "--geometry", _MX25]),
    "nrf5340dk-2images-offset": ("nrf5340dk_cpuapp_2images.dts", [
        "--mode", "swap-using-offset", "--images", "2", "--secondary-flash", "mx25r6435f",
        "--geometry", _MX25, "--bootloader-size", "0x10000"]),
    "stm32f4-scratch": ("stm32f4_disco.dts", [
        "--mode", "swap-using-scratch", "--geometry", f"{_DTS}/stm32f4-geometry.yml"]),
    "nrf54l15-mapped-move-encrypted": ("nrf54l15_mapped.dts", [
        "--mode", "swap-using-move", "--encrypt", "aes256"]),
    "rp2040-direct-xip": ("rp2040_xip.dts", ["--mode", "direct-xip"]),
    "tfm-overwrite-only": ("tfm_subpartitions.dts", ["--mode", "overwrite-only",
                                                     "--signature", "rsa-3072"]),
    "pm-nrf52840-external": ("nrf52840dk_mx25r64.dts", [
        "--mode", "swap-using-move", "--from-pm", f"{_PM}/nrf52840_external_pm_static.yml",
        "--geometry", _MX25]),
    "pm-nrf5340-netcore": ("nrf5340dk_cpuapp_2images.dts", [
        "--mode", "swap-using-move", "--from-pm", f"{_PM}/nrf5340_netcore_partitions.yml",
        "--geometry", _MX25]),
}


def run_case(name: str, out_dir: Path) -> int:
    """Run case ``name`` writing into ``out_dir``; the command's exit status."""
    import logging
    import os

    from zephyr_ota.cli import main

    dts, extra = CASES[name]
    here = os.getcwd()
    # main() re-points the "zephyr_ota" logger; put it back for other tests' caplog
    logger = logging.getLogger("zephyr_ota")
    saved = (logger.handlers[:], logger.propagate, logger.level)
    os.chdir(ROOT)
    try:
        return main(["-q", "layout", f"{_DTS}/{dts}", "--board", "board",
                     "-o", str(Path(out_dir).resolve()), *extra])
    finally:
        os.chdir(here)
        logger.handlers[:], logger.propagate = saved[0], saved[1]
        logger.setLevel(saved[2])


def regenerate() -> None:
    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    for name in CASES:
        status = run_case(name, GOLDEN / name)
        if status:
            sys.exit(f"{name}: exit status {status}")
        print(f"wrote {GOLDEN / name}")


if __name__ == "__main__":
    regenerate()
