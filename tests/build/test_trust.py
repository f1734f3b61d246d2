"""The signing key must be one the bootloader trusts: a list of trusted keys
(zephyr PR #111203: SB_CONFIG_BOOT_SIGNATURE_KEY_FILE="a.pem,b.pub.pem"),
or, when the key files are not on this machine, the key found in MCUboot's
own image."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec


def _pair(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    folder.mkdir(parents=True, exist_ok=True)
    priv, pub = folder / f"{name}.pem", folder / f"{name}.pub.pem"
    priv.write_bytes(key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8,
                                       ser.NoEncryption()))
    pub.write_bytes(key.public_key().public_bytes(ser.Encoding.PEM,
                                                  ser.PublicFormat.SubjectPublicKeyInfo))
    return priv, pub


def _spki(pub: Path) -> bytes:
    key = ser.load_pem_public_key(pub.read_bytes())
    return key.public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)


def test_two_trusted_keys_sign_with_either_refuse_a_third(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fixtures.builddirs import Keys

    prod, _ = _pair(tmp_path / "k", "prod")
    dev, dev_pub = _pair(tmp_path / "k", "dev")
    third, _ = _pair(tmp_path / "k", "third")
    build, _ = make_zephyr_build("nrf52840dk_move", keys=Keys(prod, extra_trusted=(dev_pub,)))
    config = f"{build}/mcuboot/zephyr/.config:17"
    first = cli("sign-build", "-d", build)                      # SB_CONFIG's first entry
    assert first.rc == 0, first.err
    assert f"signing key: trusted key 1: {config} entry 1 ({prod})" in first.err
    second = cli("sign-build", "-d", build, "-k", dev)
    assert second.rc == 0, second.err
    assert f"signing key: trusted key 2: {config} entry 2 ({dev_pub})" in second.err
    verify = cli("verify-build", "-d", build, "--manifest-key", dev)
    assert verify.rc == 0, verify.err
    refused = cli("sign-build", "-d", build, "-k", third)
    assert refused.rc == 1
    assert (f"expected one of the keys MCUboot trusts ({config} entry 1 ({prod}); {config} "
            f"entry 2 ({dev_pub})), got a different key") in refused.err


def test_key_found_in_mcuboot_image(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, keys = make_zephyr_build("nrf52840dk_move")
    mine = tmp_path / "ci-secrets" / "sign.pem"
    mine.parent.mkdir()
    shutil.copy(keys.signing, mine)
    keys.signing.unlink()                # the .config's key path is not on this machine
    run = cli("sign-build", "-d", build, "-k", mine)
    elf = build / "mcuboot" / "zephyr" / "zephyr.elf"
    assert run.rc == 1
    assert (f"expected it in MCUboot's image ({elf}, {build}/mcuboot/zephyr/zephyr.hex), "
            "not found") in run.err
    # MCUboot compiles the key in as its DER SubjectPublicKeyInfo (imgtool getpub).
    from zephyr_ota.keys import load_public_key

    spki = load_public_key(mine).public_bytes()
    data = bytearray(elf.read_bytes())
    offset = len(data)
    elf.write_bytes(bytes(data) + spki)
    run = cli("sign-build", "-d", build, "-k", mine)
    assert run.rc == 0, run.err
    assert f"signing key: public key found at offset {offset:#x} of {elf}" in run.err
    assert hashlib.sha256(spki).digest()  # the same bytes MCUboot hashes for KEYHASH


def test_single_image_build_needs_the_trusted_key(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    # A build without sysbuild (MCUboot built separately): only the app's folder.
    build, keys = make_zephyr_build("nrf52840dk_move")
    app = build / "app"
    run = cli("sign-build", "-d", app)
    assert run.rc == 1
    assert "expected it in MCUboot's image (no MCUboot image in the build), not found" in run.err
    run = cli("sign-build", "-d", app, "--trusted-key", keys.signing)
    assert run.rc == 0, run.err
    assert "no MCUboot domain in the build: merged.hex not written" in run.err
    assert (app / "zephyr" / "zephyr.signed.bin").is_file()
    assert not (app / "zephyr" / "merged.hex").exists()
