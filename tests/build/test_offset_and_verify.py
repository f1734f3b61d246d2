"""swap-using-offset round-trips through the manifest; verify-build refuses
tampered files and manifests, each with its message."""

from __future__ import annotations

import json
from pathlib import Path


def test_swap_using_offset_round_trip(signed, cli) -> None:  # type: ignore[no-untyped-def]
    build, _, run = signed("nrf52840dk_offset")
    out = build / "app" / "zephyr"
    manifest = json.loads((out / "ota-manifest.json").read_text())
    assert manifest["bootloader"]["upgrade_mode"] == "swap-using-offset"
    image = manifest["images"][0]
    assert image["upgrade_mode"] == "swap-using-offset"
    assert image["secondary_offset"] == 0x1000        # the update starts one sector in
    assert "spare sector        4096 bytes" in run.err
    verify = cli("verify-build", "-d", build, "--json")
    assert verify.rc == 0, verify.err
    doc = json.loads(verify.out)
    assert doc["ok"] and doc["files"][0]["file"] == "zephyr.signed.bin"


def test_tampered_image_is_refused(signed, cli) -> None:  # type: ignore[no-untyped-def]
    build, _, _ = signed("nrf52840dk_move")
    path = build / "app" / "zephyr" / "zephyr.signed.bin"
    data = bytearray(path.read_bytes())
    data[0x400] ^= 1
    path.write_bytes(bytes(data))
    run = cli("verify-build", "-d", build)
    assert run.rc == 1
    assert run.err.splitlines()[1].startswith(f"zephyr-ota: error: {path}: sha256: expected ")


def test_edited_manifest_is_refused(signed, cli) -> None:  # type: ignore[no-untyped-def]
    build, _, _ = signed("nrf52840dk_move")
    path = build / "app" / "zephyr" / "ota-manifest.json"
    path.write_bytes(path.read_bytes().replace(b'"1.2.3+4"', b'"1.2.3+5"', 1))
    run = cli("verify-build", "-d", build)
    assert run.rc == 1
    assert ("does not match the file's bytes (edited after signing?)") in run.err
    assert "Traceback" not in run.err


def test_manifest_only_needs_a_key(signed, cli) -> None:  # type: ignore[no-untyped-def]
    build, _, _ = signed("nrf52840dk_move")
    run = cli("verify-build", "--manifest", build / "app" / "zephyr" / "ota-manifest.json")
    assert run.rc == 2
    assert run.err.splitlines()[0] == (f"zephyr-ota: error: {build}/app/zephyr/ota-manifest.json:"
                                       " no trusted manifest key")


def test_previous_with_higher_sequence_is_refused(signed, cli, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, _, _ = signed("nrf52840dk_move")
    previous = tmp_path / "previous.json"
    previous.write_bytes((build / "app" / "zephyr" / "ota-manifest.json").read_bytes())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert cli("sign-build", "-d", build).rc == 0
    run = cli("verify-build", "-d", build, "--previous", previous)
    assert run.rc == 1
    assert ("sequence_number: expected at least 1790000000 (previous release app 1.2.3+4), "
            "got 1700000000") in run.err


def test_build_keys_with_a_manifest_elsewhere(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    out = tmp_path / "ota"
    assert cli("sign-build", "-d", build, "-o", out).rc == 0
    run = cli("verify-build", "-d", build, "--manifest", out / "ota-manifest.json")
    assert run.rc == 0, run.err
    assert f"manifest {out}/ota-manifest.json:" in run.err
