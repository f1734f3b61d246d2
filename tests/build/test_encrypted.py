"""Encrypted builds (issue 7): the primary image is imgtool's --clear form
(encrypted flag + key TLV, plaintext payload); the OTA image is fully
encrypted with a fresh AES key each time; both carry the same image hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from zephyr_ota.firmware import load_firmware
from zephyr_ota.image.constants import ENCRYPTION_TLVS, ImageFlag
from zephyr_ota.image.encrypt import unwrap_key
from zephyr_ota.image.parse import read_image
from zephyr_ota.image.verify import decrypt_body
from zephyr_ota.keys import load_private_key


def _device_key(path: Path):  # type: ignore[no-untyped-def]
    return load_private_key(path).crypto_key


def _firmware(build: Path) -> bytes:
    return bytes(load_firmware(build / "app" / "zephyr" / "zephyr.elf").to_bytes(0xFF))


@pytest.mark.parametrize("aes256", [False, True])
def test_primary_is_clear_form(signed, imgtool_verify, aes256: bool) -> None:  # type: ignore[no-untyped-def]
    build, keys, _ = signed("nrf52840dk_ext_enc", aes256=aes256)
    img = read_image(build / "app" / "zephyr" / "zephyr.signed.bin")
    flag = ImageFlag.ENCRYPTED_AES256 if aes256 else ImageFlag.ENCRYPTED_AES128
    assert img.header.flags & flag
    tlv = next(t for t in img.tlvs if t.kind in ENCRYPTION_TLVS)
    assert len(unwrap_key(_device_key(keys.encryption), tlv, 32 if aes256 else 16)) == \
        (32 if aes256 else 16)
    fw = _firmware(build)
    body = bytes(img.body)
    assert body[:len(fw)] == fw and not any(body[len(fw):])   # plaintext, padded to 16
    proc = imgtool_verify(build / "app" / "zephyr" / "zephyr.signed.bin", keys.signing)
    assert "Image was correctly validated" in proc.stdout, proc.stdout + proc.stderr


def test_secondary_is_fully_encrypted(signed) -> None:  # type: ignore[no-untyped-def]
    build, keys, _ = signed("nrf52840dk_ext_enc")
    out = build / "app" / "zephyr"
    primary = read_image(out / "zephyr.signed.bin")
    secondary = read_image(out / "zephyr.signed.encrypted.bin")
    fw = _firmware(build)
    assert bytes(secondary.body)[:len(fw)] != fw
    assert decrypt_body(secondary, _device_key(keys.encryption)) == bytes(primary.body)
    hash_of = {t.kind: t.value for t in secondary.tlvs}
    assert {t.kind: t.value for t in primary.tlvs}[0x10] == hash_of[0x10]   # same SHA256 TLV


def test_fresh_aes_key_every_time(signed, cli) -> None:  # type: ignore[no-untyped-def]
    build, _, _ = signed("nrf52840dk_ext_enc")
    path = build / "app" / "zephyr" / "zephyr.signed.encrypted.bin"
    first = path.read_bytes()
    assert cli("sign-build", "-d", build).rc == 0
    second = path.read_bytes()
    primary = read_image(build / "app" / "zephyr" / "zephyr.signed.bin")
    assert first != second
    key_tlvs = {bytes(t.value) for t in read_image(path).tlvs if t.kind in ENCRYPTION_TLVS}
    assert key_tlvs.isdisjoint({bytes(t.value) for t in primary.tlvs
                                if t.kind in ENCRYPTION_TLVS})


def test_verify_decrypts_with_the_device_key(signed, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, keys, _ = signed("nrf52840dk_ext_enc")
    ok = cli("verify-build", "-d", build, "--decrypt-key", keys.encryption)
    assert ok.rc == 0, ok.err
    assert "decrypted with the device key" in ok.err
    from fixtures.builddirs import generate_keys

    wrong = generate_keys(tmp_path / "wrong").encryption
    bad = cli("verify-build", "-d", build, "--decrypt-key", wrong)
    assert bad.rc == 1
    assert "Traceback" not in bad.err
    assert f"{build}/app/zephyr/zephyr.signed.encrypted.bin: " in bad.err


def test_verify_without_the_device_key_still_checks_the_signature(signed, cli) -> None:  # type: ignore[no-untyped-def]
    """Without --decrypt-key only the hash over the plaintext is left unchecked:
    the signature over the stored hash is checked, and a broken one refused."""
    build, _, _ = signed("nrf52840dk_ext_enc")
    ok = cli("verify-build", "-d", build)
    assert ok.rc == 0, ok.err
    assert ("image signature over the stored hash, encrypted: hash over the plaintext not "
            "checked (give --decrypt-key)") in ok.err
    path = build / "app" / "zephyr" / "zephyr.signed.encrypted.bin"
    img = read_image(path)
    sig = next(t for t in img.tlvs if t.kind == 0x22)  # IMAGE_TLV_ECDSA_SIG
    data = bytearray(path.read_bytes())
    at = data.find(bytes(sig.value))
    data[at + 10] ^= 0x01
    path.write_bytes(bytes(data))
    # the manifest's file hash catches it first; the signature check is behind it
    bad = cli("verify-build", "-d", build)
    assert bad.rc == 1 and "Traceback" not in bad.err
