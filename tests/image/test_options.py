"""The rest of imgtool's sign options, each against imgtool, plus ELF input,
external signing (--vector-to-sign, --fix-sig, --sig-out) and ``info``."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from helpers.elf_builder import write_elf, zephyr_like_app
from zephyr_ota.image.constants import ImageFlag, TlvType
from zephyr_ota.image.parse import read_image

from .support import firmware_bytes, imgtool, write_hex

BASE = ["-H", "32", "-S", "0x20000", "-v", "1.2.3+4"]


@pytest.fixture
def fw(tmp_path: Path) -> Path:
    path = tmp_path / "fw.bin"
    path.write_bytes(firmware_bytes(3333))
    return path


@pytest.mark.parametrize("extra", [
    ["-F", "0xc000", "--non-bootable", "--boot-record", "SPE"],
    ["--vid", "12345678-1234-5678-1234-567812345678", "--cid", "11112222333344445555666677778888"],
    ["--custom-tlv-file", "0xa5", "{fw}", "-s", "0x1234", "--max-align", "32", "--align", "8",
     "--pad"],
    ["-R", "0", "--pad", "--test", "--pad-header", "-H", "0x100"],
], ids=["rom-fixed", "uuids", "custom-file", "erased-zero"])
def test_more_options_byte_identical(extra, keys, ota, fw, tmp_path: Path) -> None:
    args = ["-k", keys["ed25519"].private, *BASE, *(a.format(fw=fw) for a in extra)]
    assert ota("sign", *args, fw, tmp_path / "o.bin").rc == 0
    assert imgtool("sign", *args, fw, tmp_path / "t.bin").rc == 0
    assert (tmp_path / "o.bin").read_bytes() == (tmp_path / "t.bin").read_bytes()


@pytest.mark.parametrize("signer", ["ecdsa-p256", "ecdsa-p384"])
def test_pad_sig(signer, keys, ota, fw, tmp_path: Path) -> None:
    out = tmp_path / "o.bin"
    assert ota("sign", "-k", keys[signer].private, "--pad-sig", *BASE, fw, out).rc == 0
    sig = read_image(out).find(TlvType.ECDSA_SIG)
    assert sig is not None and len(sig.value) >= {"ecdsa-p256": 72, "ecdsa-p384": 103}[signer]
    assert imgtool("verify", "-k", keys[signer].public, out).rc == 0
    assert ota("verify", "-k", keys[signer].public, out).rc == 0


def test_elf_input(keys, ota, tmp_path: Path) -> None:
    """ELF (which imgtool cannot read) signs like the same bytes given as hex."""
    from zephyr_ota.firmware import load_firmware

    elf = tmp_path / "zephyr.elf"
    write_elf(elf, zephyr_like_app(0xC200, 0x4000))
    fw = load_firmware(elf)
    hex_in = write_hex(tmp_path / "same.hex", fw.to_bytes(), fw.base_address)
    args = ["-k", keys["ed25519"].private, "-H", "0x200", "--pad-header", "-S", "0x20000",
            "-v", "1.0.0", "--confirm"]
    assert ota("sign", *args, elf, tmp_path / "from-elf.hex").rc == 0
    assert imgtool("sign", *args, hex_in, tmp_path / "imgtool.hex").rc == 0
    assert (tmp_path / "from-elf.hex").read_bytes() == (tmp_path / "imgtool.hex").read_bytes()
    assert read_image(tmp_path / "from-elf.hex").base_address == 0xC000


def test_external_signing(keys, ota, fw, tmp_path: Path) -> None:
    """--vector-to-sign digest, sign elsewhere, --fix-sig: same image as -k."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    digest_file = tmp_path / "digest.bin"
    args = [*BASE, "-s", "3"]
    run = ota("sign", "--fix-sig-pubkey", keys["ed25519"].public, "--vector-to-sign", "digest",
              *args, fw, digest_file)
    assert run.rc == 0, run.err
    digest = digest_file.read_bytes()
    assert len(digest) == 32
    key = load_pem_private_key(keys["ed25519"].private.read_bytes(), None)
    sig_file = tmp_path / "sig.b64"
    sig_file.write_bytes(base64.b64encode(key.sign(digest)))
    out = tmp_path / "fixed.bin"
    run = ota("sign", "--fix-sig", sig_file, "--fix-sig-pubkey", keys["ed25519"].public,
              *args, fw, out)
    assert run.rc == 0, run.err
    direct = tmp_path / "direct.bin"
    assert ota("sign", "-k", keys["ed25519"].private, "--sig-out", tmp_path / "out.b64",
               *args, fw, direct).rc == 0
    assert out.read_bytes() == direct.read_bytes()
    assert (tmp_path / "out.b64").read_bytes() == sig_file.read_bytes()
    assert imgtool("verify", "-k", keys["ed25519"].public, out).rc == 0
    # a signature that does not fit is refused, nothing written
    sig_file.write_bytes(base64.b64encode(bytes(64)))
    bad = tmp_path / "bad.bin"
    run = ota("sign", "--fix-sig", sig_file, "--fix-sig-pubkey", keys["ed25519"].public,
              *args, fw, bad)
    assert run.rc == 2 and not bad.exists()
    assert run.err.splitlines() == ["zephyr-ota: error: --fix-sig: the signature does not "
                                    "verify with --fix-sig-pubkey over this image"]


def test_vector_payload_matches_imgtool(keys, ota, fw, tmp_path: Path) -> None:
    args = ["-k", keys["ed25519"].private, *BASE, "-s", "7", "--vector-to-sign", "payload"]
    assert ota("sign", *args, fw, tmp_path / "o.bin").rc == 0
    assert imgtool("sign", *args, fw, tmp_path / "t.bin").rc == 0
    assert (tmp_path / "o.bin").read_bytes() == (tmp_path / "t.bin").read_bytes()


def test_info_text_and_json(keys, ota, fw, tmp_path: Path) -> None:
    out = tmp_path / "o.bin"
    assert ota("sign", "-k", keys["ed25519"].private, *BASE, "--confirm", "-s", "auto",
               "-d", "(1, 2.0.0)", "-E", keys["enc-x25519"].public, fw, out).rc == 0
    run = ota("info", out)
    assert run.rc == 0
    lines = run.out.splitlines()
    assert lines[0] == f"{out}: MCUboot image, version 1.2.3+4"
    assert "flags:       0x4 (ENCRYPTED_AES128)" in lines
    assert any(line.startswith("  SEC_CNT") and line.endswith(str((1 << 24) + (2 << 16) + 3))
               for line in lines)
    assert lines[-1].startswith("trailer:     slot 0x20000 bytes, max-align 8, image_ok 0x01 "
                                "(confirmed)")
    run = ota("info", "--json", out)
    info = json.loads(run.out)
    assert info["header"]["version"] == "1.2.3+4"
    assert info["header"]["version_mcumgr"] == "1.2.3.4"
    assert info["header"]["flags"] == ImageFlag.ENCRYPTED_AES128
    assert info["protected_tlvs"][1]["decoded"] == {"image_id": 1, "min_version": "2.0.0+0"}
    assert [t["name"] for t in info["tlvs"]] == ["SHA256", "KEYHASH", "ED25519", "ENC_X25519"]
    assert info["trailer"]["confirmed"] is True
