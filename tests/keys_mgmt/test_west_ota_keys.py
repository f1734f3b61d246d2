"""``west ota-keys`` through the real west program (a tmp workspace whose
manifest repository declares our west-commands.yml)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DEV_KEYS

REPO = Path(__file__).resolve().parents[2]


def _west() -> str:
    here = Path(sys.executable).parent / "west"
    return str(here) if here.exists() else (shutil.which("west") or "west")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    top = tmp_path / "ws"
    manifest = top / "mf"
    (manifest / "scripts").mkdir(parents=True)
    shutil.copyfile(REPO / "west-commands.yml", manifest / "west-commands.yml")
    shutil.copyfile(REPO / "scripts" / "west_ota.py", manifest / "scripts" / "west_ota.py")
    (manifest / "west.yml").write_text("manifest:\n  self:\n    west-commands: west-commands.yml\n")
    _run(["init", "-l", str(manifest)], top)
    return top


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ZEPHYR_BASE", "WEST_CONFIG_LOCAL")}
    return subprocess.run([_west(), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.slow
def test_west_ota_keys_init_show_check(workspace: Path, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    init = _run(["ota-keys", "init", "--keys-dir", str(keys), "--encrypt"], workspace)
    assert init.returncode == 0, init.stderr
    assert stat.S_IMODE((keys / "signing.pem").stat().st_mode) == 0o600
    assert "SB_CONFIG_BOOT_SIGNATURE_KEY_FILE" in (keys / "sysbuild-keys.conf").read_text()
    show = _run(["ota-keys", "show", "--keys-dir", str(keys)], workspace)
    assert show.returncode == 0 and "PRIVATE" not in show.stdout + show.stderr
    check = _run(["ota-keys", "check", "--keys-dir", str(keys), "--signature-type",
                  "ecdsa-p256", "--release"], workspace)
    assert check.returncode == 0, check.stderr


@pytest.mark.slow
def test_west_ota_keys_refuses_a_published_key_for_release(workspace: Path,
                                                           tmp_path: Path) -> None:
    key = tmp_path / "root-ed25519.pem"
    shutil.copyfile(DEV_KEYS / "root-ed25519.pem", key)
    key.chmod(0o600)
    r = _run(["ota-keys", "check", "--key", str(key), "--release"], workspace)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "MCUboot's published signing key" in r.stderr
