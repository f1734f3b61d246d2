"""The README's first command, sample-app/demo.sh, end to end.

``test_demo_pipeline`` runs the script with ZEPHYR_OTA_DEMO_PYTHON set to
this interpreter (zephyr-ota and the firmware package already installed), so
it runs offline: every step, then checks the artifacts with the oracles
(imgtool verify on the signed images, the SVG parsed, the manifest's files).
``test_demo_as_written`` runs the script exactly as the README gives it -- a
fresh venv and `pip install` from PyPI -- on CI (CI=true) or when
ZEPHYR_OTA_DEMO_FULL=1, since it needs the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO_SH = REPO / "sample-app" / "demo.sh"

pytestmark = pytest.mark.slow


def run_demo(out: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(DEMO_SH), str(out)], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=900)


def check_outputs(out: Path, stdout: str) -> None:
    zephyr = out / "build" / "sample-app" / "zephyr"
    for name in ("zephyr.signed.hex", "zephyr.signed.bin", "zephyr.signed.encrypted.bin",
                 "merged.hex", "ota-manifest.json", "dfu_application.zip"):
        assert (zephyr / name).is_file(), name
        assert f"{name}" in stdout, f"summary does not name {name}"
    svgs = sorted((out / "layout").rglob("*.svg"))
    assert svgs, "no flash map SVG"
    root = ET.parse(svgs[0]).getroot()
    assert root.tag.endswith("svg")
    assert ".svg" in stdout
    # The oracle: imgtool verifies the primary image with the demo's key.
    keys = out / "keys"
    verify = subprocess.run(["imgtool", "verify", "-k", str(keys / "signing.pem"),
                             str(zephyr / "zephyr.signed.bin")], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    manifest = json.loads((zephyr / "ota-manifest.json").read_text())
    assert manifest, "empty manifest"


def test_demo_pipeline(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    proc = run_demo(out, ZEPHYR_OTA_DEMO_PYTHON=sys.executable)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    for step in ("1/6 layout", "2/6 keys", "3/6 build", "4/6 sign", "5/6 verify", "6/6 audit",
                 "every step passed"):
        assert step in proc.stdout, step
    check_outputs(out, proc.stdout)
    # A second run replaces the previous one's parts (fresh keys).
    old_key = (out / "keys" / "signing.pem").read_bytes()
    again = run_demo(out, ZEPHYR_OTA_DEMO_PYTHON=sys.executable)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (out / "keys" / "signing.pem").read_bytes() != old_key


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    proc = run_demo(tmp_path, ZEPHYR_OTA_DEMO_PYTHON=sys.executable)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines()[-1] == (
        f"demo: {tmp_path} exists and was not made by the demo; give another --out")
    assert (tmp_path / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt"]


@pytest.mark.skipif(os.environ.get("CI") != "true" and os.environ.get("ZEPHYR_OTA_DEMO_FULL") != "1",
                    reason="installs from PyPI: runs on CI (CI=true) or with ZEPHYR_OTA_DEMO_FULL=1")
def test_demo_as_written(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "ZEPHYR_OTA_DEMO_PYTHON")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                  if not p.startswith(sys.prefix))
    out = tmp_path / "demo-out"
    proc = subprocess.run(["bash", str(DEMO_SH), str(out)], capture_output=True, text=True,
                          env=env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (out / ".venv" / "bin" / "python").exists()
    check_outputs(out, proc.stdout)
