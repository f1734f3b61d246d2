"""Encryption as issue 7 wants it: --clear primary images, a fresh key per
image, refused key kinds and pairs, key-TLV sizes in the trailer."""

from __future__ import annotations

from pathlib import Path

import pytest

from zephyr_ota.image.constants import ENCRYPTION_TLVS, ImageFlag
from zephyr_ota.image.parse import read_image
from zephyr_ota.image.verify import decrypt_body, verify_file

from .support import firmware_bytes, imgtool

BASE = ["-H", "32", "-S", "0x40000", "-v", "1.0.0"]


@pytest.fixture
def fw(tmp_path: Path) -> tuple[Path, bytes]:
    data = firmware_bytes(12345)
    path = tmp_path / "zephyr.bin"
    path.write_bytes(data)
    return path, data


@pytest.mark.parametrize(("signer", "enc"), [("ed25519", "enc-x25519"),
                                             ("ecdsa-p256", "enc-p256"),
                                             ("rsa-2048", "enc-rsa-2048")])
@pytest.mark.parametrize("keylen", ["128", "256"])
def test_primary_and_secondary_images(signer, enc, keylen, keys, ota, fw, tmp_path) -> None:
    path, data = fw
    body = data[32:]
    args = ["-k", keys[signer].private, "-E", keys[enc].public, "--encrypt-keylen", keylen, *BASE]
    primary, secondary = tmp_path / "zephyr.signed.bin", tmp_path / "zephyr.signed.encrypted.bin"
    assert ota("sign", *args, "--clear", "--pad", "--confirm", path, primary).rc == 0
    assert ota("sign", *args, path, secondary).rc == 0

    flag = ImageFlag.ENCRYPTED_AES256 if keylen == "256" else ImageFlag.ENCRYPTED_AES128
    p = read_image(primary)
    assert p.header.flags & flag
    assert [t for t in p.tlvs if t.kind in ENCRYPTION_TLVS]
    assert bytes(p.body[:len(body)]) == body            # plaintext payload
    assert decrypt_body(p, keys[enc].crypto)[:len(body)] == body  # key TLV unwraps
    assert imgtool("verify", "-k", keys[signer].public, primary).rc == 0
    result = verify_file(primary, None, keys[enc].crypto)
    assert result and result.plaintext_body

    s = read_image(secondary)
    assert bytes(s.body[:len(body)]) != body
    assert decrypt_body(s, keys[enc].crypto)[:len(body)] == body
    check = ota("verify", "-k", keys[signer].public, "--decrypt-key", keys[enc].private, secondary)
    assert check.rc == 0 and "decrypted and checked" in check.out


def test_fresh_aes_key_for_every_image(keys, ota, fw, tmp_path) -> None:
    path, _ = fw
    args = ["-k", keys["ed25519"].private, "-E", keys["enc-x25519"].public, *BASE]
    assert ota("sign", *args, path, tmp_path / "a.bin").rc == 0
    assert ota("sign", *args, path, tmp_path / "b.bin").rc == 0
    a, b = read_image(tmp_path / "a.bin"), read_image(tmp_path / "b.bin")
    assert bytes(a.body) != bytes(b.body)
    assert decrypt_body(a, keys["enc-x25519"].crypto) == decrypt_body(b, keys["enc-x25519"].crypto)


def test_given_aes_key_is_deterministic(keys, fw, tmp_path) -> None:
    from zephyr_ota.firmware import load_firmware
    from zephyr_ota.image.build import Encryption, sign_image
    from zephyr_ota.image.request import SignRequest
    from zephyr_ota.keys import load_private_key

    path, _ = fw
    enc = Encryption(keys["enc-x25519"].crypto.public_key(), aes_key=bytes(range(16)))
    request = SignRequest(slot_size=0x40000)
    signer = load_private_key(keys["ed25519"].private)
    firmware = load_firmware(path)
    sign_image(request, firmware, signer, tmp_path / "a.bin", enc)
    sign_image(request, firmware, signer, tmp_path / "b.bin", enc)
    a, b = read_image(tmp_path / "a.bin"), read_image(tmp_path / "b.bin")
    assert bytes(a.body) == bytes(b.body)


def test_p384_encryption_key_refused(keys, ota, fw, tmp_path) -> None:
    path, _ = fw
    out = tmp_path / "out.bin"
    run = ota("sign", "-k", keys["ed25519"].private, "-E", keys["enc-p384"].public, *BASE,
              path, out)
    assert run.rc == 1
    first, hint = run.err.splitlines()
    assert first == (f"zephyr-ota: error: {keys['enc-p384'].public}: MCUboot has no "
                     "encryption scheme for ECDSA P-384 keys")
    assert hint.startswith("  Hint: supported pairs (MCUboot boot/zephyr/Kconfig "
                           "BOOT_ENCRYPT_IMAGE): rsa-2048/rsa-3072 signing with an RSA-2048")
    assert "Traceback" not in run.err and not out.exists()
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(("signer", "enc", "extra", "message"), [
    ("ecdsa-p256", "enc-x25519", [], "MCUboot cannot pair ecdsa-p256 signatures with "
                                     "ENCX25519 encryption"),
    ("ed25519", "enc-p256", [], "MCUboot cannot pair ed25519 signatures with ENCEC256 encryption"),
    ("ed25519", "enc-x25519", ["--pure"], "MCUboot cannot pair ed25519 --pure signatures with "
                                          "ENCX25519 encryption"),
    ("ecdsa-p384", "enc-p256", [], "MCUboot cannot pair ecdsa-p384 signatures with ENCEC256 "
                                   "encryption"),
    ("rsa-2048", "rsa-3072", [], "MCUboot has no encryption scheme for RSA-3072 keys"),
])
def test_pairs_mcuboot_cannot_take(signer, enc, extra, message, keys, ota, fw, tmp_path) -> None:
    path, _ = fw
    out = tmp_path / "out.bin"
    key = keys[enc].public
    run = ota("sign", "-k", keys[signer].private, "-E", key, *extra, *BASE, path, out)
    assert run.rc == 1
    assert message in run.err.splitlines()[0]
    assert not out.exists()


def test_hmac_sha512_only_for_x25519(keys, ota, fw, tmp_path) -> None:
    path, _ = fw
    run = ota("sign", "-k", keys["ecdsa-p256"].private, "-E", keys["enc-p256"].public,
              "--hmac-sha", "512", *BASE, path, tmp_path / "o.bin")
    assert run.rc == 2
    assert run.err.splitlines() == [
        "zephyr-ota: error: --hmac-sha 512: only ECIES-X25519 supports HMAC-SHA512"]


@pytest.mark.parametrize("enc", ["enc-x25519", "enc-rsa-2048"])
def test_save_enctlv_trailer_matches_imgtool(enc, keys, ota, fw, tmp_path) -> None:
    path, _ = fw
    signer = "ed25519" if enc == "enc-x25519" else "rsa-2048"
    args = ["-k", keys[signer].private, "-E", keys[enc].public, "--save-enctlv", "--pad",
            "--clear", *BASE]
    assert ota("sign", *args, path, tmp_path / "o.bin").rc == 0
    assert imgtool("sign", *args, path, tmp_path / "t.bin").rc == 0
    ours, theirs = (tmp_path / "o.bin").read_bytes(), (tmp_path / "t.bin").read_bytes()
    assert len(ours) == len(theirs) == 0x40000
    assert ours[-0x2000:] == theirs[-0x2000:]


def test_wrong_decryption_key(keys, ota, fw, tmp_path) -> None:
    path, _ = fw
    out = tmp_path / "o.bin"
    ota("sign", "-k", keys["ed25519"].private, "-E", keys["enc-x25519"].public, *BASE, path, out)
    other = tmp_path / "other.pem"
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import x25519

    other.write_bytes(x25519.X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    run = ota("verify", "-k", keys["ed25519"].public, "--decrypt-key", other, out)
    assert run.rc == 1
    assert run.err.splitlines() == [
        f"zephyr-ota: error: {out}: decryption: ENCX25519: HMAC mismatch: the decryption "
        "key does not fit this image"]
    run = ota("verify", "-k", keys["ed25519"].public, "--decrypt-key",
              keys["enc-p256"].private, out)
    assert run.rc == 1
    assert run.err.splitlines() == [
        f"zephyr-ota: error: {out}: decryption: the image's key is wrapped with ENCX25519, "
        "the decryption key is EC P-256"]
