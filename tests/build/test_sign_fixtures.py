"""Every fixture board signs and verifies; the oracles agree.

imgtool 2.5.0 verifies every primary image; merged.hex holds MCUboot at the
boot partition and the signed image at slot0; the DFU zip's manifest.json
matches its files; verify-build passes on what sign-build wrote.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from zephyr_ota.firmware import load_firmware

BOARDS = ["nrf52840dk_move", "nrf52840dk_offset", "nrf52840dk_ext_enc", "stm32f4_scratch",
          "nrf5340dk_2images", "nrf52840dk_real440_rebased"]
# Boot partition and slot0 CPU addresses of the fixture devicetrees.
BOOT = {"stm32f4_scratch": 0x08000000}
SLOT0 = {"stm32f4_scratch": 0x08020000, "nrf5340dk_2images": 0x10000}


@pytest.mark.parametrize("board", BOARDS)
def test_sign_then_verify(board: str, signed, cli, imgtool_verify) -> None:  # type: ignore[no-untyped-def]
    build, keys, run = signed(board)
    out = build / build.joinpath("domains.yaml").read_text().split()[1] / "zephyr"
    for name in ("zephyr.signed.bin", "zephyr.signed.hex", "merged.hex", "ota-manifest.json",
                 "ota-manifest.json.sig", "dfu_application.zip"):
        assert (out / name).is_file(), name
    for image in sorted(out.glob("*.signed.bin")) + sorted(out.glob("*.signed.hex")):
        proc = imgtool_verify(image, keys.signing)
        assert "Image was correctly validated" in proc.stdout, (image, proc.stdout, proc.stderr)
    assert not list(out.glob(".sign-ota-*")), "staging folder left behind"
    verify = cli("verify-build", "-d", build)
    assert verify.rc == 0, verify.err
    assert verify.err.rstrip().endswith("OK")


@pytest.mark.parametrize("board", ["nrf52840dk_move", "stm32f4_scratch", "nrf5340dk_2images"])
def test_merged_hex_layout(board: str, signed) -> None:  # type: ignore[no-untyped-def]
    build, _, _ = signed(board)
    out = build / "app" / "zephyr"
    merged = load_firmware(out / "merged.hex")
    boot = load_firmware(build / "mcuboot" / "zephyr" / "zephyr.hex")
    assert boot.start == BOOT.get(board, 0x0)
    image = (out / "zephyr.signed.bin").read_bytes()
    data = {s.address: s.data for s in merged.segments}
    blob = merged.to_bytes(0xFF)
    at = SLOT0.get(board, 0xC000) - merged.start
    assert blob[at:at + len(image)] == image
    for seg in boot.segments:
        off = seg.address - merged.start
        assert blob[off:off + len(seg.data)] == seg.data
    assert merged.start in data


@pytest.mark.parametrize(("board", "slot_size"), [("nrf52840dk_move", 0x76000),
                                                  ("nrf52840dk_ext_enc", 0xEC000)])
def test_merged_hex_confirmed(signed, board: str, slot_size: int) -> None:  # type: ignore[no-untyped-def]
    from zephyr_ota.image.parse import parse_image

    build, _, _ = signed(board, "--confirm")
    merged = load_firmware(build / "app" / "zephyr" / "merged.hex").to_bytes(0xFF)
    slot = merged[0xC000:0xC000 + slot_size]
    img = parse_image(slot, "merged.hex slot0")
    assert img.trailer is not None and img.trailer.image_ok


@pytest.mark.parametrize("board", ["nrf52840dk_move", "nrf5340dk_2images", "nrf52840dk_ext_enc"])
def test_dfu_zip_matches_files(board: str, signed) -> None:  # type: ignore[no-untyped-def]
    build, _, _ = signed(board)
    out = build / "app" / "zephyr"
    with zipfile.ZipFile(out / "dfu_application.zip") as z:
        manifest = json.loads(z.read("manifest.json"))
        names = set(z.namelist()) - {"manifest.json"}
        assert manifest["format-version"] == 1
        assert {f["file"] for f in manifest["files"]} == names
        for entry in manifest["files"]:
            data = z.read(entry["file"])
            assert entry["file"].endswith(".bin")
            assert entry["size"] == len(data) == (out / entry["file"]).stat().st_size
            assert entry["sha256"] == hashlib.sha256(data).hexdigest()
            assert isinstance(entry["image_index"], str)
            assert entry["version_MCUBOOT"] == "1.2.3+4"


def test_summary_names_sources_and_budget(signed) -> None:  # type: ignore[no-untyped-def]
    build, _, run = signed("nrf52840dk_move")
    err = run.err
    assert "CONFIG_ROM_START_OFFSET" in err
    assert "slot0_partition" in err
    assert "write-block-size" in err
    assert "CONFIG_BOOT_MAX_IMG_SECTORS_AUTO" in err
    for label in ("slot size", "trailer", "spare sector", "image size", "bytes left"):
        assert label in err
    # nrf52840dk slots: 118 x 4 KiB, swap-using-move leaves 116 sectors (layout.budget).
    assert "max image         475136 bytes" in err


def test_json_summary_on_stdout(signed) -> None:  # type: ignore[no-untyped-def]
    build, _, run = signed("nrf52840dk_ext_enc", "--json")
    doc = json.loads(run.out)
    image = doc["images"][0]
    assert image["encrypted"] is True
    assert image["parameters"]["header size"] == {
        "value": 0x200, "source": f"{build}/app/zephyr/.config:7: CONFIG_ROM_START_OFFSET"}
    assert image["budget"]["bytes_left"] == image["budget"]["max_image_size"] - \
        image["budget"]["image_size"]
    kinds = {o["kind"] for o in doc["outputs"]}
    assert {"primary-bin", "primary-hex", "secondary-encrypted", "merged-hex", "manifest",
            "manifest-signature", "dfu-zip"} <= kinds


def test_dry_run_writes_nothing(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    before = sorted(p.relative_to(build) for p in build.rglob("*"))
    run = cli("sign-build", "-d", build, "--dry-run")
    assert run.rc == 0, run.err
    assert "dry run: every check passed; nothing written" in run.err
    assert sorted(p.relative_to(build) for p in build.rglob("*")) == before


def test_reproducible_manifest(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    out = build / "app" / "zephyr"
    assert cli("sign-build", "-d", build).rc == 0
    first = (out / "ota-manifest.json").read_bytes(), (out / "ota-manifest.json.sig").read_bytes()
    assert cli("sign-build", "-d", build).rc == 0
    assert ((out / "ota-manifest.json").read_bytes(),
            (out / "ota-manifest.json.sig").read_bytes()) == first


def test_out_dir_and_tuf(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    out, tuf = tmp_path / "release", tmp_path / "tuf"
    run = cli("sign-build", "-d", build, "-o", out, "--tuf-targets", tuf)
    assert run.rc == 0, run.err
    assert (out / "zephyr.signed.bin").is_file()
    assert not (build / "app" / "zephyr" / "zephyr.signed.bin").exists()
    fragment = json.loads((tuf / "targets-fragment.json").read_text())
    assert fragment["signed"]["_type"] == "targets"
    verify = cli("verify-build", "--manifest", out / "ota-manifest.json",
                 "--manifest-key", build.parent / "keys" / "sign.pem")
    assert verify.rc == 0, verify.err


def test_two_image_pairs(signed) -> None:  # type: ignore[no-untyped-def]
    build, _, run = signed("nrf5340dk_2images")
    out = build / "app" / "zephyr"
    manifest = json.loads((out / "ota-manifest.json").read_text())
    by_name = {i["name"]: i for i in manifest["images"]}
    assert by_name["app"]["image_index"] == 0 and by_name["ipc_radio"]["image_index"] == 1
    assert by_name["ipc_radio"]["type"] == "network-core"
    assert by_name["ipc_radio"]["slot_size"] == 0x40000          # MCUboot's slot2_partition
    assert by_name["ipc_radio"]["load_address"] == 0x01000000    # the net core's code partition
    assert manifest["install"]["order"] == ["ipc_radio", "app"]
    with zipfile.ZipFile(out / "dfu_application.zip") as z:
        files = json.loads(z.read("manifest.json"))["files"]
    assert [(f["file"], f["image_index"], f["slot_index_primary"]) for f in files] == [
        ("zephyr.signed.bin", "0", "1"), ("ipc_radio.signed.bin", "1", "3")]
    assert "image 1 'ipc_radio'" in run.err


def test_separate_manifest_key(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    priv, pub = tmp_path / "manifest.pem", tmp_path / "manifest.pub.pem"
    priv.write_bytes(key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8,
                                       ser.NoEncryption()))
    pub.write_bytes(key.public_key().public_bytes(ser.Encoding.PEM,
                                                  ser.PublicFormat.SubjectPublicKeyInfo))
    build, _ = make_zephyr_build("nrf52840dk_move")
    run = cli("sign-build", "-d", build, "--manifest-key", priv)
    assert run.rc == 0, run.err
    assert "warning" not in run.err
    assert f"manifest signed with {priv} (--manifest-key)" in run.err
    sig = json.loads((build / "app" / "zephyr" / "ota-manifest.json.sig").read_text())
    assert sig[0]["alg"] == "ed25519"
    assert cli("verify-build", "-d", build, "--manifest-key", pub).rc == 0
    wrong = cli("verify-build", "-d", build)          # the image key did not sign it
    assert wrong.rc == 1
    assert "by an unknown key" in wrong.err
