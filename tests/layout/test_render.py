"""Rendered files: goldens, dtc on every overlay merged onto its fixture, the
round trip read -> plan/write -> read, and the SVG flash map."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.layout.golden import CASES, DTS, GOLDEN, MX25_4K, ROOT, run_case
from zephyr_ota.zephyr.devicetree import load_devicetree
from zephyr_ota.zephyr.geometry_yaml import load_geometry_yaml

DTC = shutil.which("dtc")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("layout")
    for name in CASES:
        assert run_case(name, out / name) == 0, name
    return out


def files_of(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_golden(generated: Path, case: str) -> None:
    """Regenerate with ``python -m tests.layout.golden`` and review the diff."""
    assert files_of(generated / case) == files_of(GOLDEN / case)


def _geometry(case: str):  # type: ignore[no-untyped-def]
    args = CASES[case][1]
    return load_geometry_yaml(ROOT / args[args.index("--geometry") + 1]) if "--geometry" in args else None


@pytest.mark.skipif(DTC is None, reason="dtc (device-tree-compiler) not installed")
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("which", ["boards/board.overlay", "sysbuild/mcuboot.overlay"])
def test_overlay_compiles_with_dtc(generated: Path, tmp_path: Path, case: str, which: str) -> None:
    fixture = DTS / CASES[case][0]
    merged = tmp_path / "merged.dts"
    merged.write_text(fixture.read_text() + "\n" + (generated / case / which).read_text())
    assert DTC is not None
    proc = subprocess.run([DTC, "-q", "-I", "dts", "-O", "dtb", "-o", str(tmp_path / "out.dtb"),
                           str(merged)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def _key(layout) -> list[tuple[str, str, int, int]]:  # type: ignore[no-untyped-def]
    return sorted((p.label, p.flash, p.offset, p.size) for p in layout.partitions if not p.container)


@pytest.mark.parametrize("case", CASES)
def test_round_trip(generated: Path, tmp_path: Path, case: str) -> None:
    """read the fixture -> plan and write -> read fixture + overlay: the planned partitions,
    in the style written, with the chosen code partition."""
    import json

    fixture = DTS / CASES[case][0]
    merged = tmp_path / "merged.dts"
    merged.write_text(fixture.read_text() + "\n" + (generated / case / "boards/board.overlay").read_text())
    again = load_devicetree(merged, geometry=_geometry(case))
    report = (generated / case / "layout-report.txt").read_text()
    kept = {p.label for p in load_devicetree(fixture, geometry=_geometry(case)).layout.partitions
            if p.read_only}
    planned = [line.split() for line in report.splitlines()
               if line.split() and line.split()[0].endswith("_partition") and "0x" in line]
    assert sorted((r[0], int(r[2], 16), int(r[4], 16)) for r in planned) == \
        sorted((p.label, p.offset, p.size) for p in again.layout.partitions
               if not p.container and (p.label not in kept or p.label.startswith("boot")))
    assert again.layout.code_partition == "slot0_partition"
    style = "zephyr,mapped-partition" if "style: mapped" in report else "fixed-partitions"
    assert again.styles == {style}
    assert again.findings == ()
    json.dumps(_key(again.layout))


def test_svg_lists_every_partition(generated: Path) -> None:
    for case in CASES:
        svg = generated / case / "flash-map.svg"
        root = ET.parse(svg).getroot()
        assert root.tag == f"{SVG}svg"
        texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
        merged = DTS / CASES[case][0]
        report = (generated / case / "layout-report.txt").read_text()
        rows = [line.split() for line in report.splitlines()
                if line.split() and line.split()[0].endswith("_partition") and "0x" in line]
        assert rows, case
        for label, _flash, start, _end, size, *_ in rows:
            assert label in texts and size in texts and start in texts, (case, label)
        assert merged.is_file()
        # the trailer is drawn inside each slot
        titles = [t.text or "" for t in root.iter(f"{SVG}title")]
        assert any("MCUboot trailer" in t for t in titles), case


def test_mx25_geometry_fixture_is_used() -> None:
    geo = load_geometry_yaml(MX25_4K)
    info = load_devicetree(DTS / "nrf52840dk_mx25r64.dts", geometry=geo)
    ext = [f for f in info.layout.flashes if f.external]
    assert ext and ext[0].erase_block == 0x1000
