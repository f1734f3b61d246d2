"""Bad input to sign/verify/info: one line (plus an optional Hint), a
non-zero exit, no traceback, no output file left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import firmware_bytes

BASE = ["-H", "32", "-S", "0x20000", "-v", "1.0.0"]


@pytest.fixture
def work(tmp_path: Path, keys) -> dict[str, Path]:
    fw = tmp_path / "fw.bin"
    fw.write_bytes(firmware_bytes(4000))
    big = tmp_path / "big.bin"
    big.write_bytes(firmware_bytes(0x20000 - 0x100))
    nozero = tmp_path / "nozero.bin"
    nozero.write_bytes(b"\x01" + firmware_bytes(100))
    garbage_key = tmp_path / "garbage.pem"
    garbage_key.write_text("-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n")
    return {"fw": fw, "big": big, "nozero": nozero, "garbage_key": garbage_key,
            "ed": keys["ed25519"].private, "ed_pub": keys["ed25519"].public,
            "x25519": keys["enc-x25519"].private, "p256": keys["ecdsa-p256"].private,
            "x_pub": keys["enc-x25519"].public, "out": tmp_path / "out.bin",
            "outhex": tmp_path / "out.hex", "missing": tmp_path / "missing.pem"}


SIGN_CASES = {
    "missing key": (["-k", "{missing}", *BASE, "{fw}", "{out}"], 1,
                    "{missing}: key file not found"),
    "corrupt key": (["-k", "{garbage_key}", *BASE, "{fw}", "{out}"], 1,
                    "{garbage_key}: corrupt key file: expected a PEM or DER private key"),
    "public key to sign": (["-k", "{ed_pub}", *BASE, "{fw}", "{out}"], 1,
                           "{ed_pub}: expected a private key, found a public key"),
    "x25519 key to sign": (["-k", "{x25519}", *BASE, "{fw}", "{out}"], 1,
                           "{x25519}: x25519 keys cannot sign images"),
    "sha not for key": (["-k", "{ed}", "--sha", "384", *BASE, "{fw}", "{out}"], 2,
                        "--sha 384: ed25519 keys sign with --sha 256, 512 only"),
    "pure with ecdsa": (["-k", "{p256}", "--pure", *BASE, "{fw}", "{out}"], 2,
                        "--pure: ecdsa-p256 keys have no pure signature; only ed25519 has"),
    "too big for slot": (["-k", "{ed}", *BASE, "{big}", "{out}"], 1,
                         "{big}: image 0x1ffb0 + trailer 0x1b0 = 0x20160 bytes exceeds the "
                         "slot size 0x20000 by 0x160"),
    "missing firmware": (["-k", "{ed}", *BASE, "{missing}", "{out}"], 1, None),
    "header not zeros": (["-k", "{ed}", *BASE, "{nozero}", "{out}"], 2,
                         "{nozero}: the first 0x20 bytes must be zeros to hold the 0x20-byte "
                         "header"),
    "compression": (["-k", "{ed}", "--compression", "lzma2", *BASE, "{fw}", "{out}"], 1,
                    "--compression lzma2: compressed images are not supported"),
    "big endian": (["-k", "{ed}", "-e", "big", *BASE, "{fw}", "{out}"], 1,
                   "--endian big: only little-endian images are supported (every MCUboot "
                   "target Zephyr has)"),
    "hex out without address": (["-k", "{ed}", *BASE, "{fw}", "{outhex}"], 2,
                                "{outhex}: HEX output needs an address: the input has none and "
                                "-x/--hex-addr was not given"),
    "custom tlv conflict": (["--custom-tlv", "0x10", "x", *BASE, "{fw}", "{out}"], 2,
                            "--custom-tlv: tag 0x10 conflicts with the predefined TLV SHA256"),
    "clear without -E": (["-k", "{ed}", "--clear", *BASE, "{fw}", "{out}"], 2,
                         "-c/--clear needs an encryption key (-E)"),
    "bad version": (["-k", "{ed}", "-H", "32", "-S", "0x20000", "-v", "1.x", "{fw}", "{out}"], 2,
                    "version: expected major.minor.revision+build (later parts optional), "
                    "got '1.x'"),
    "bad dependencies": (["-k", "{ed}", "-d", "1, 2.0", *BASE, "{fw}", "{out}"], 2,
                         "dependencies: expected \"(IMAGE_ID, VERSION), ...\", got '1, 2.0'"),
    "fix-sig without pubkey": (["--fix-sig", "{fw}", *BASE, "{fw}", "{out}"], 2,
                               "--fix-sig needs --fix-sig-pubkey"),
    "vector with pad": (["--vector-to-sign", "digest", "--pad", *BASE, "{fw}", "{out}"], 2,
                        "--vector-to-sign writes the data to sign; --pad/--confirm/--test do "
                        "not apply to it"),
    "sig-out without key": (["--sig-out", "{out}.sig", *BASE, "{fw}", "{out}"], 2,
                            "--sig-out: no signature is made without -k, or with "
                            "--vector-to-sign"),
    "load and rom-fixed": (["-L", "0x1000", "-F", "0x2000", *BASE, "{fw}", "{out}"], 2,
                           "--load-addr and --rom-fixed cannot be used together"),
}


@pytest.mark.parametrize("case", SIGN_CASES, ids=list(SIGN_CASES))
def test_sign_refuses(case: str, work, ota, tmp_path: Path) -> None:
    args, rc, message = SIGN_CASES[case]
    before = set(tmp_path.iterdir())
    run = ota("sign", *(a.format(**work) for a in args))
    assert run.rc == rc, run.err
    lines = run.err.splitlines()
    assert lines and lines[0].startswith("zephyr-ota: error: ")
    if message is not None:
        assert lines[0] == "zephyr-ota: error: " + message.format(**work)
    assert all(line.startswith("  Hint: ") for line in lines[1:])
    assert "Traceback" not in run.err and run.out == ""
    assert set(tmp_path.iterdir()) == before  # nothing written, no temp file left


def test_wrong_password(work, ota, tmp_path: Path, monkeypatch, keys) -> None:
    from cryptography.hazmat.primitives import serialization

    locked = tmp_path / "locked.pem"
    locked.write_bytes(keys["ed25519"].crypto.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"right")))
    monkeypatch.setenv("ZEPHYR_OTA_KEY_PASSWORD", "wrong")
    run = ota("sign", "-k", locked, *BASE, work["fw"], work["out"])
    assert run.rc == 1
    assert run.err.splitlines() == [
        f"zephyr-ota: error: {locked}: wrong password for the encrypted private key"]
    assert not work["out"].exists()
    monkeypatch.setenv("ZEPHYR_OTA_KEY_PASSWORD", "right")
    assert ota("sign", "-k", locked, *BASE, work["fw"], work["out"]).rc == 0


def _signed(ota, work) -> Path:
    assert ota("sign", "-k", work["ed"], *BASE, work["fw"], work["out"]).rc == 0
    return work["out"]


@pytest.mark.parametrize("command", ["verify", "info"])
@pytest.mark.parametrize(("kind", "message"), [
    ("empty", "{img}: header: expected 32 bytes, the file has 0"),
    ("garbage", "{img}: header: bad magic: expected 0x96f3b83d, got 0x64726f77"),
    ("truncated body", "{img}: header: body of 0xfa0 bytes from 0x20 runs past the end of "
                       "the file at 0x800"),
    ("truncated tlvs", "{img}: TLV area at 0xfc0: size 0x90 runs past the end of the file "
                       "at 0xfd0"),
])
def test_bad_images(command, kind, message, work, ota, tmp_path: Path) -> None:
    good = _signed(ota, work).read_bytes()
    img = tmp_path / "bad.bin"
    img.write_bytes({"empty": b"", "garbage": b"words words words " * 10,
                     "truncated body": good[:0x800], "truncated tlvs": good[:0xFD0]}[kind])
    args = ["-k", work["ed_pub"]] if command == "verify" else []
    run = ota(command, *args, img)
    assert run.rc == 1
    lines = run.err.splitlines()
    assert lines[0] == "zephyr-ota: error: " + message.format(img=img)
    assert all(line.startswith("  Hint: ") for line in lines[1:])
    assert "Traceback" not in run.err and run.out == ""


def test_verify_wrong_key_and_missing_file(work, ota, tmp_path: Path, keys) -> None:
    img = _signed(ota, work)
    run = ota("verify", "-k", keys["ecdsa-p256"].public, img)
    assert run.rc == 1
    assert run.err.splitlines() == [
        f"zephyr-ota: error: {img}: key: the KEYHASH TLV is not the sha256 of this ecdsa-p256 "
        "key: signed with another key"]
    run = ota("verify", "-k", work["ed_pub"], tmp_path / "nope.bin")
    assert run.rc == 1
    assert run.err.splitlines() == [f"zephyr-ota: error: {tmp_path / 'nope.bin'}: image not found"]


def test_protected_only_tlv_outside_protected_area_fails() -> None:
    import hashlib

    from zephyr_ota.image.constants import ImageFlag, TlvType
    from zephyr_ota.image.header import ImageHeader
    from zephyr_ota.image.tlv import Tlv, encode_area
    from zephyr_ota.image.verify import verify_image
    from zephyr_ota.image.version import ImageVersion

    body = b"\x01" * 64
    head = ImageHeader(0, 32, 0, len(body), ImageFlag(0), ImageVersion(1)).pack()
    digest = hashlib.sha256(head + body).digest()
    good = head + body + encode_area([Tlv(TlvType.SHA256, digest)], protected=False)
    assert verify_image(good)
    assert "signature not checked (no key given)" in verify_image(good).message
    bad = head + body + encode_area([Tlv(TlvType.SHA256, digest),
                                     Tlv(TlvType.SEC_CNT, bytes(4))], protected=False)
    result = verify_image(bad, where="x.bin")
    assert not result and result.failed == "structure"
    assert result.message == ("x.bin: structure: TLV area: SEC_CNT is not allowed outside the "
                              "protected area (image_validate.c allowed_unprot_tlvs)")


def test_hex_addr_on_binary_output_warns(work, ota) -> None:
    run = ota("sign", "-k", work["ed"], "-x", "0x8000", *BASE, work["fw"], work["out"])
    assert run.rc == 0
    assert run.err.splitlines() == [
        f"zephyr-ota: warning: -x/--hex-addr 0x8000 has no effect on binary output {work['out']}"]
