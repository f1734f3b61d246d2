"""The real ``west`` runs ``west sign-ota`` and ``west ota-verify`` on a
synthesized build directory, in both workspace shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")


def test_sign_ota_then_verify(workspace: Path, west_run, make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    build, keys = make_zephyr_build("nrf52840dk_ext_enc")
    signed = west_run(["sign-ota", "-d", str(build)], workspace)
    assert "image 0 'app'" in signed.stderr and "bytes left" in signed.stderr
    out = build / "app" / "zephyr"
    for name in ("zephyr.signed.bin", "zephyr.signed.encrypted.bin", "merged.hex",
                 "ota-manifest.json", "ota-manifest.json.sig", "dfu_application.zip"):
        assert (out / name).is_file(), name
    verified = west_run(["ota-verify", "-d", str(build), "--decrypt-key", str(keys.encryption)],
                        workspace)
    assert "decrypted with the device key" in verified.stderr


def test_sign_ota_json_keeps_stdout_clean(workspace: Path, west_run, make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_offset")
    proc = west_run(["sign-ota", "-d", str(build), "--json"], workspace)
    doc = json.loads(proc.stdout)
    assert doc["images"][0]["budget"]["mode"] == "swap-using-offset"


def test_sign_ota_error_is_one_line(workspace: Path, west_run, make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    proc = west_run(["sign-ota", "-d", str(build), "--header-size", "0x400"], workspace,
                    check=False)
    assert proc.returncode == 1
    assert "ERROR: --header-size: header size: expected 0x200" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (build / "app" / "zephyr" / "zephyr.signed.bin").exists()
