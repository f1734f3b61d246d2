"""``keys check -d BUILD``: every audit finding provoked by a build directory
(synthesized like ``west build --sysbuild`` leaves it)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from fixtures.builddirs import SPECS, Keys, generate_keys, make_build_dir
from zephyr_ota.keys.bootconfig import (
    from_sysbuild_kconfig,
    read_build_keys,
    resolve_key_file,
    split_key_list,
)
from zephyr_ota.zephyr.kconfig import parse_config

from .conftest import DEV_KEYS, assert_no_private_material


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("zephyr-ota: error: ")]


def private(path: Path, key_type: str = "ecdsa-p256") -> Path:
    from zephyr_ota.keys import generate_key
    from zephyr_ota.keys.base import KeyType

    path.write_bytes(generate_key(KeyType(key_type)).private_pem())
    path.chmod(0o600)
    return path


def public_of(src: Path, dst: Path) -> Path:
    from zephyr_ota.keys import load_public_key

    dst.write_bytes(load_public_key(src).public_pem())
    return dst


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    k = generate_keys(tmp_path / "keys")
    for p in (k.signing, k.encryption):
        p.chmod(0o600)  # type: ignore[union-attr]
    return k


def build(tmp_path: Path, keys: Keys, spec: str = "nrf52840dk_offset", **changes: object) -> Path:
    s = dataclasses.replace(SPECS[spec], **changes) if changes else spec
    return make_build_dir(tmp_path / "b", s, keys)


def test_clean_build_passes_release(cli, tmp_path: Path, keys: Keys) -> None:
    b = build(tmp_path, keys)
    r = cli("keys", "check", "-d", b, "--release")
    assert r.code == 0, r.err
    assert f"{keys.signing}: signing key is MCUboot's trusted key #0 ({keys.signing})" in r.err
    assert_no_private_material(r.out + r.err, keys.signing)


def test_build_reader_resolves_the_key_list(tmp_path: Path, keys: Keys) -> None:
    prod_pub = public_of(private(tmp_path / "prod.pem"), tmp_path / "prod.pub.pem")
    k = dataclasses.replace(keys, extra_trusted=(prod_pub,))
    facts = read_build_keys(build(tmp_path, k))
    assert facts.boot is not None and facts.boot.signature == "ECDSA_P256"
    assert facts.trusted == (keys.signing, prod_pub)
    assert facts.app_signing == keys.signing


def test_two_trusted_keys_accept_either_and_refuse_a_third(cli, tmp_path: Path,
                                                           keys: Keys) -> None:
    prod = private(tmp_path / "prod.pem")
    prod_pub = public_of(prod, tmp_path / "prod.pub.pem")
    b = build(tmp_path, dataclasses.replace(keys, extra_trusted=(prod_pub,)))
    ok = cli("keys", "check", "-d", b, "--key", prod)
    assert ok.code == 0, ok.err
    assert f"{prod}: signing key is MCUboot's trusted key #1 ({prod_pub})" in ok.err
    third = private(tmp_path / "third.pem")
    bad = cli("keys", "check", "-d", b, "--key", third)
    assert bad.code == 1
    line = error_lines(bad.err)[0]
    assert line.startswith(f"zephyr-ota: error: {third}: signing key (hash ")
    assert line.endswith(f"is not a key MCUboot trusts; trusted: {keys.signing}, {prod_pub}")


def test_private_key_past_the_first_entry_is_flagged(cli, tmp_path: Path, keys: Keys) -> None:
    leaked = private(tmp_path / "second.pem")
    b = build(tmp_path, dataclasses.replace(keys, extra_trusted=(leaked,)))
    r = cli("keys", "check", "-d", b)
    assert r.code == 1
    assert error_lines(r.err) == [(f"zephyr-ota: error: {leaked}: trusted key #1 holds a "
                                     f"private key; entries after the first must be public-only")]
    assert_no_private_material(r.out + r.err, leaked)


def test_signing_key_of_another_type_than_mcuboot(cli, tmp_path: Path, keys: Keys) -> None:
    b = build(tmp_path, keys)
    ed = private(tmp_path / "ed.pem", "ed25519")
    r = cli("keys", "check", "-d", b, "--key", ed)
    lines = (b / "mcuboot" / "zephyr" / ".config").read_text().splitlines()
    line = lines.index("CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256=y") + 1
    assert r.code == 1
    assert error_lines(r.err)[0] == (
        f"zephyr-ota: error: {ed}: signing key is ed25519, but MCUboot verifies ecdsa-p256 "
        f"({b / 'mcuboot' / 'zephyr' / '.config'}:{line}: CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256)")


def test_encryption_key_of_another_type_than_mcuboot(cli, tmp_path: Path, keys: Keys) -> None:
    b = build(tmp_path, keys, "nrf52840dk_ext_enc")
    x = private(tmp_path / "x.pem", "x25519")
    r = cli("keys", "check", "-d", b, "--encryption-key", x)
    assert r.code == 1
    assert error_lines(r.err) == [
        f"zephyr-ota: error: {x}: encryption key is x25519, but MCUboot with "
        f"BOOT_SIGNATURE_TYPE_ECDSA_P256 decrypts ecdsa-p256"]
    ok = cli("keys", "check", "-d", b)  # the build's own device key
    assert ok.code == 0, ok.err


def test_published_key_compiled_into_mcuboot(cli, tmp_path: Path, keys: Keys) -> None:
    dev = tmp_path / "root-ec-p256.pem"
    shutil.copyfile(DEV_KEYS / "root-ec-p256.pem", dev)
    dev.chmod(0o600)
    b = build(tmp_path, dataclasses.replace(keys, signing=dev))
    r = cli("keys", "check", "-d", b)
    assert r.code == 0
    assert r.err.splitlines()[0].startswith(f"zephyr-ota: warning: {dev}: signing key is "
                                            f"MCUboot's published signing key (")
    rel = cli("keys", "check", "-d", b, "--release")
    assert rel.code == 1 and "published" in rel.err.splitlines()[-2]
    assert_no_private_material(r.out + r.err + rel.out + rel.err, dev)


def test_world_readable_key_in_a_build(cli, tmp_path: Path, keys: Keys) -> None:
    keys.signing.chmod(0o644)
    b = build(tmp_path, keys)
    r = cli("keys", "check", "-d", b)
    assert r.code == 0
    assert f"warning: {keys.signing}: private key is readable by everyone" in r.err


def test_sysbuild_config_only_with_app_dir_variable(tmp_path: Path, keys: Keys) -> None:
    b = build(tmp_path, keys)
    (b / "mcuboot" / "zephyr" / ".config").unlink()
    app_dir = tmp_path / "b" / "ws" / "app"
    (app_dir / "keys").mkdir()
    shutil.copyfile(keys.signing, app_dir / "keys" / "sign.pem")
    conf = b / "zephyr" / ".config"
    text = conf.read_text().replace(f'"{keys.signing}"', '"${APP_DIR}/keys/sign.pem"')
    conf.write_text(text)
    facts = read_build_keys(b)
    assert facts.trusted == (app_dir / "keys" / "sign.pem",)
    line = text.splitlines().index("SB_CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256=y") + 1
    assert facts.boot is not None
    assert facts.boot.source == f"{conf}:{line}: SB_CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256"


def test_key_list_syntax() -> None:
    assert split_key_list(None) == ()
    assert split_key_list("a.pem") == ("a.pem",)
    assert split_key_list(" a.pem , b.pub.pem,") == ("a.pem", "b.pub.pem")


def test_resolve_key_file(tmp_path: Path) -> None:
    (tmp_path / "mcuboot").mkdir()
    (tmp_path / "mcuboot" / "root-ec-p256.pem").write_text("x")
    variables = {"ZEPHYR_MCUBOOT_MODULE_DIR": str(tmp_path / "mcuboot")}
    assert resolve_key_file("${ZEPHYR_MCUBOOT_MODULE_DIR}/root-ec-p256.pem", variables) == \
        tmp_path / "mcuboot" / "root-ec-p256.pem"
    assert resolve_key_file("$(ZEPHYR_MCUBOOT_MODULE_DIR)/k.pem", variables) == \
        tmp_path / "mcuboot" / "k.pem"
    # relative: MCUboot's config dir first, then the MCUboot tree (boot/zephyr/Kconfig help)
    assert resolve_key_file("root-ec-p256.pem", {}, [tmp_path / "conf", tmp_path / "mcuboot"]) \
        == tmp_path / "mcuboot" / "root-ec-p256.pem"


def test_sysbuild_kconfig_reading() -> None:
    cfg = parse_config('SB_CONFIG_BOOT_SIGNATURE_TYPE_ED25519=y\n'
                       'SB_CONFIG_BOOT_SIGNATURE_KEY_FILE="/k/a.pem,/k/b.pub.pem"\n'
                       'SB_CONFIG_BOOT_ENCRYPTION=y\n'
                       'SB_CONFIG_BOOT_ENCRYPTION_KEY_FILE="/k/enc.pem"\n', "sb.config")
    boot = from_sysbuild_kconfig(cfg)
    assert boot.signature == "ED25519" and boot.key_files == ("/k/a.pem", "/k/b.pub.pem")
    assert boot.encrypt and boot.encryption_key_file == "/k/enc.pem"
    assert boot.encryption_type is not None and boot.encryption_type.value == "x25519"
    assert boot.source == "sb.config:1: SB_CONFIG_BOOT_SIGNATURE_TYPE_ED25519"


def test_token_key_is_checked_against_the_build(cli, tmp_path: Path, keys: Keys,
                                                softhsm_token) -> None:  # type: ignore[no-untyped-def]
    """Development bootloader trusts the production key held only in a token."""
    from zephyr_ota.keys.external import load_signer

    uri = softhsm_token.uri("p256")
    prod_pub = tmp_path / "prod.pub.pem"
    prod_pub.write_bytes(load_signer(uri).public.public_pem())
    b = build(tmp_path, dataclasses.replace(keys, extra_trusted=(prod_pub,)))
    r = cli("keys", "check", "-d", b, "--key", uri, "--release")
    assert r.code == 0, r.err
    where = uri.split("?")[0]
    assert f"{where}: signing key is MCUboot's trusted key #1 ({prod_pub})" in r.err
    assert softhsm_token.pin not in r.out + r.err
