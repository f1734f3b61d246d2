"""Templates reach an installed (non-editable) wheel as zephyr_ota/templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.layout.golden import ROOT
from zephyr_ota.render import template_dir


def test_checkout_templates_found() -> None:
    assert (template_dir() / "overlay.dts.j2").is_file()


@pytest.mark.slow
def test_wheel_carries_templates(tmp_path: Path) -> None:
    pytest.importorskip("hatchling", reason="hatchling (the build backend) is not installed")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(ROOT)], check=True)
    wheel = next(tmp_path.glob("zephyr_ota-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("overlay.dts.j2", "flashmap.svg.j2", "report.txt.j2", "kconfig.conf.j2"):
        assert f"zephyr_ota/templates/{name}" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True)
    out = subprocess.run([sys.executable, "-c", "from zephyr_ota.render import template_dir; "
                          "print(template_dir())"], env={"PYTHONPATH": str(target)},
                         capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert Path(out.strip()) == target / "zephyr_ota" / "templates"
