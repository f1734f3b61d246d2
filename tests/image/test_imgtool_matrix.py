"""Our images against imgtool 2.5.0, the oracle, over signature types x
encryption x options: imgtool verifies ours, we verify imgtool's, imgtool
dumpinfo reads ours, both decrypt to the firmware, Ed25519 is byte-identical."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from zephyr_ota.image.constants import TlvType
from zephyr_ota.image.parse import read_image
from zephyr_ota.image.verify import decrypt_body
from zephyr_ota.image.version import ImageVersion

from .support import firmware_bytes, imgtool, write_hex

HEX_BASE = 0x8000


@dataclass(frozen=True)
class Options:
    name: str
    args: tuple[str, ...]
    hex_io: bool = False
    pad_header: bool = False


OPTIONS = {
    "plain": Options("plain", ("-H", "32", "-S", "0x20000", "-v", "1.2.3")),
    "pad-confirm": Options("pad-confirm", (
        "-H", "32", "-S", "0x20000", "-v", "1.2.3+4", "--pad", "--confirm", "-s", "auto",
        "-d", "(1, 1.2.3+0), (2, 0.9)")),
    "pad-header-test": Options("pad-header-test", (
        "-H", "0x200", "--pad-header", "-S", "0x40000", "-v", "2.0.0+7", "--test",
        "--custom-tlv", "0xa0", "0x0102030405", "--custom-tlv", "0x1a3", "hello",
        "-s", "42", "--align", "4"), pad_header=True),
    "hex-full-key": Options("hex-full-key", (
        "-H", "32", "-S", "0x20000", "-v", "0.0.1", "--public-key-format", "full",
        "-L", "0x20000000", "--pad", "--max-align", "16", "--align", "16", "-M", "32"),
        hex_io=True),
    "overwrite-only": Options("overwrite-only", (
        "-H", "32", "-S", "0x10000", "-v", "3.2.1", "--overwrite-only", "--confirm",
        "--vid", "example.com", "--cid", "zephyr-board", "-R", "0xff")),
}

SIGNERS = ("rsa-2048", "rsa-3072", "ecdsa-p256", "ecdsa-p384", "ed25519", "ed25519-pure")
# boot/zephyr/Kconfig BOOT_ENCRYPT_IMAGE: the scheme follows the signature type.
ENCRYPTION = {"rsa-2048": ("enc-rsa-2048",), "rsa-3072": ("enc-rsa-2048",),
              "ecdsa-p256": ("enc-p256",), "ed25519": ("enc-x25519", "enc-x25519-sha512")}


def _cases() -> list[tuple[str, str | None, str, str]]:
    cases = [(s, None, "128", o) for s in SIGNERS for o in OPTIONS]
    enc_opts = ("pad-confirm", "hex-full-key")
    for signer, encs in ENCRYPTION.items():
        for enc in encs:
            for keylen in ("128", "256"):
                cases += [(signer, enc, keylen, o) for o in enc_opts]
    return cases


def _ids(case: tuple[str, str | None, str, str]) -> str:
    signer, enc, keylen, opt = case
    return f"{signer}-{enc or 'plain'}{'-aes' + keylen if enc else ''}-{opt}"


def _firmware(tmp_path: Path, opt: Options) -> tuple[Path, bytes]:
    data = firmware_bytes(3001, header=0 if opt.pad_header else 32, seed=len(opt.name))
    if opt.hex_io:
        return write_hex(tmp_path / "fw.hex", data, HEX_BASE), data
    path = tmp_path / "fw.bin"
    path.write_bytes(data)
    return path, data


@pytest.mark.parametrize("case", _cases(), ids=_ids)
def test_against_imgtool(case, keys, ota, tmp_path: Path) -> None:
    signer, enc, keylen, opt_name = case
    opt = OPTIONS[opt_name]
    key = keys[signer.removesuffix("-pure")]
    fw, data = _firmware(tmp_path, opt)
    ext = ".hex" if opt.hex_io else ".bin"
    args = ["-k", str(key.private), *opt.args]
    if signer.endswith("-pure"):
        args.append("--pure")
    dec_args: list[str] = []
    if enc:
        enc_key = keys[enc.removesuffix("-sha512")]
        args += ["-E", str(enc_key.public), "--encrypt-keylen", keylen]
        if enc.endswith("-sha512"):
            args += ["--hmac-sha", "512"]
        dec_args = ["--decrypt-key", str(enc_key.private)]
    ours, theirs = tmp_path / f"ours{ext}", tmp_path / f"theirs{ext}"

    run = ota("sign", *args, fw, ours)
    assert run.rc == 0, run.err
    made = imgtool("sign", *args, fw, theirs)
    assert made.rc == 0, made.out

    # we verify imgtool's image, and our own
    for image in (theirs, ours):
        check = ota("verify", "-k", key.public, *dec_args, image)
        assert check.rc == 0, check.err
        assert "OK" in check.out
    # imgtool reads ours
    dumped = imgtool("dumpinfo", ours)
    assert dumped.rc == 0 and "Image header" in dumped.out
    if not enc:
        accepted = imgtool("verify", "-k", key.public, ours)
        assert accepted.rc == 0, accepted.out
        assert "Image was correctly validated" in accepted.out
    else:
        _check_encrypted(keys, enc, data, opt, ours, theirs)
    _compare(ours, theirs, signer, enc)


def _check_encrypted(keys, enc, data, opt, ours: Path, theirs: Path) -> None:
    priv = keys[enc.removesuffix("-sha512")].crypto
    body = data if opt.pad_header else data[32:]
    for image in (ours, theirs):
        parsed = read_image(image)
        plain = decrypt_body(parsed, priv)
        assert plain[:len(body)] == body and not any(plain[len(body):])
        assert bytes(parsed.body[:len(body)]) != body  # really encrypted


def _compare(ours: Path, theirs: Path, signer: str, enc: str | None) -> None:
    a, b = read_image(ours), read_image(theirs)
    assert a.header == b.header
    assert a.protected_tlvs == b.protected_tlvs
    assert [t.kind for t in a.tlvs] == [t.kind for t in b.tlvs]
    assert a.trailer == b.trailer
    if a.trailer is not None or not signer.startswith("ecdsa"):
        assert len(a.data) == len(b.data)  # (DER ECDSA signatures vary by a byte or two)
    if not enc:
        assert a.data[:a.protected_end] == b.data[:b.protected_end]
        assert a.find(TlvType.SHA256) == b.find(TlvType.SHA256)
    if signer.startswith("ed25519") and not enc:
        # Ed25519 signatures are deterministic: the files are byte-identical
        assert ours.read_bytes() == theirs.read_bytes()


@pytest.mark.parametrize("signer", ["ed25519", "ed25519-pure"])
@pytest.mark.parametrize("sha", ["256", "512"])
def test_ed25519_sha_byte_identical(signer, sha, keys, ota, tmp_path: Path) -> None:
    if signer.endswith("pure") and sha == "256":
        pytest.skip("--pure fixes the hash")
    fw = tmp_path / "fw.bin"
    fw.write_bytes(firmware_bytes(70001))
    args = ["-k", keys["ed25519"].private, "-H", "32", "-S", "0x80000", "-v", "1.0.0",
            "--pad", "--boot-record", "NSPE"]
    args += ["--pure"] if signer.endswith("pure") else ["--sha", sha]
    assert ota("sign", *args, fw, tmp_path / "o.bin").rc == 0
    assert imgtool("sign", *args, fw, tmp_path / "t.bin").rc == 0
    assert (tmp_path / "o.bin").read_bytes() == (tmp_path / "t.bin").read_bytes()


def test_hex_output_identical_to_imgtool(keys, ota, tmp_path: Path) -> None:
    fw = write_hex(tmp_path / "fw.hex", firmware_bytes(200_000), 0xC000)
    args = ["-k", keys["ed25519"].private, "-H", "32", "-S", "0x60000", "-v", "1.0.0",
            "--confirm", "-s", "5"]
    assert ota("sign", *args, fw, tmp_path / "o.hex").rc == 0
    assert imgtool("sign", *args, fw, tmp_path / "t.hex").rc == 0
    assert (tmp_path / "o.hex").read_bytes() == (tmp_path / "t.hex").read_bytes()
    # bin in, hex out at -x
    raw = tmp_path / "fw.bin"
    raw.write_bytes(firmware_bytes(1000))
    args = ["-k", keys["ed25519"].private, "-H", "32", "-S", "0x10000", "-v", "1.0.0",
            "-x", "0x10000"]
    assert ota("sign", *args, raw, tmp_path / "o2.hex").rc == 0
    assert imgtool("sign", *args, raw, tmp_path / "t2.hex").rc == 0
    assert (tmp_path / "o2.hex").read_bytes() == (tmp_path / "t2.hex").read_bytes()


def test_ecdsa_deterministic_signatures(keys, tmp_path: Path) -> None:
    """With RFC 6979 signing the whole ECDSA image is reproducible."""
    from zephyr_ota.firmware import load_firmware
    from zephyr_ota.image.build import sign_image
    from zephyr_ota.image.request import SignRequest
    from zephyr_ota.keys.ecdsa import EcdsaPrivateKey

    fw_path = tmp_path / "fw.bin"
    fw_path.write_bytes(firmware_bytes(5000))
    signer = EcdsaPrivateKey(keys["ecdsa-p256"].crypto, deterministic=True)
    request = SignRequest(slot_size=0x10000, version=ImageVersion(1))
    fw = load_firmware(fw_path)
    first = sign_image(request, fw, signer, tmp_path / "a.bin")
    second = sign_image(request, fw, signer, tmp_path / "b.bin")
    assert first.signature == second.signature
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()
    assert imgtool("verify", "-k", keys["ecdsa-p256"].public, tmp_path / "a.bin").rc == 0
