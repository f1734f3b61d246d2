"""``zephyr-ota keys init|import|show|check`` end to end, in-process."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from zephyr_ota.zephyr.kconfig import parse_config

from .conftest import DEV_KEYS, Result, assert_no_private_material


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def fragment(path: Path) -> dict[str, str]:
    cfg = parse_config(path.read_text(), str(path))
    return {name: cfg[name].raw for name in cfg}


def test_init_writes_private_keys_0600_and_a_sysbuild_fragment(cli, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    r: Result = cli("keys", "init", "--keys-dir", keys, "--type", "ecdsa-p256", "--encrypt")
    assert r.code == 0, r.err
    assert mode(keys / "signing.pem") == 0o600 and mode(keys / "encryption.pem") == 0o600
    assert mode(keys) == 0o700
    assert mode(keys / "signing.pub.pem") == 0o644
    values = fragment(keys / "sysbuild-keys.conf")
    assert values == {
        "SB_CONFIG_BOOTLOADER_MCUBOOT": "y",
        "SB_CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256": "y",
        "SB_CONFIG_BOOT_SIGNATURE_KEY_FILE": str(keys / "signing.pem"),
        "SB_CONFIG_BOOT_ENCRYPTION": "y",
        "SB_CONFIG_BOOT_ENCRYPTION_KEY_FILE": str(keys / "encryption.pem"),
    }
    assert not (keys / "mcuboot-keys.conf").exists()
    from zephyr_ota.keys import load_private_key

    assert load_private_key(keys / "signing.pem").public.key_type.value == "ecdsa-p256"
    assert load_private_key(keys / "encryption.pem").public.key_type.value == "ecdsa-p256"
    assert f"-DSB_EXTRA_CONF_FILE={keys / 'sysbuild-keys.conf'}" in r.out
    assert_no_private_material(r.out + r.err, keys / "signing.pem", keys / "encryption.pem")


@pytest.mark.parametrize(("key_type", "choice", "enc_type"), [
    ("ed25519", "ED25519", "x25519"), ("rsa-2048", "RSA", "rsa-2048"),
])
def test_init_pairs_encryption_with_the_signature_type(cli, tmp_path: Path, key_type: str,
                                                       choice: str, enc_type: str) -> None:
    keys = tmp_path / "keys"
    assert cli("keys", "init", "--keys-dir", keys, "-t", key_type, "--encrypt").code == 0
    values = fragment(keys / "sysbuild-keys.conf")
    assert values[f"SB_CONFIG_BOOT_SIGNATURE_TYPE_{choice}"] == "y"
    from zephyr_ota.keys import load_public_key

    assert load_public_key(keys / "encryption.pem").key_type.value == enc_type


def test_init_rsa3072_aes256_adds_the_mcuboot_fragment(cli, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    r = cli("keys", "init", "--keys-dir", keys, "-t", "rsa-3072", "--encrypt", "--aes-bits", "256")
    assert r.code == 0, r.err
    assert fragment(keys / "mcuboot-keys.conf") == {
        "CONFIG_BOOT_SIGNATURE_TYPE_RSA_LEN": "3072", "CONFIG_BOOT_ENCRYPT_ALG_AES_256": "y"}
    assert f"-Dmcuboot_EXTRA_CONF_FILE={keys / 'mcuboot-keys.conf'}" in \
        (keys / "sysbuild-keys.conf").read_text()


def test_init_without_sysbuild_writes_app_and_mcuboot_fragments(cli, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    r = cli("keys", "init", "--keys-dir", keys, "-t", "ed25519", "--encrypt", "--no-sysbuild")
    assert r.code == 0, r.err
    assert fragment(keys / "app-keys.conf") == {
        "CONFIG_BOOTLOADER_MCUBOOT": "y",
        "CONFIG_MCUBOOT_SIGNATURE_KEY_FILE": str(keys / "signing.pem"),
        "CONFIG_MCUBOOT_ENCRYPTION_KEY_FILE": str(keys / "encryption.pub.pem"),
    }
    assert fragment(keys / "mcuboot-keys.conf") == {
        "CONFIG_BOOT_SIGNATURE_TYPE_ED25519": "y",
        "CONFIG_BOOT_SIGNATURE_KEY_FILE": str(keys / "signing.pem"),
        "CONFIG_BOOT_ENCRYPT_IMAGE": "y",
        "CONFIG_BOOT_ENCRYPTION_KEY_FILE": str(keys / "encryption.pem"),
    }
    assert not (keys / "sysbuild-keys.conf").exists()


def test_init_default_dir_is_outside_the_tree(cli, tmp_path: Path) -> None:
    r = cli("keys", "init", "--project", "demo")
    assert r.code == 0, r.err
    keys = tmp_path / "xdg" / "zephyr-ota" / "keys" / "demo"
    assert (keys / "signing.pem").is_file() and mode(keys / "signing.pem") == 0o600


def test_init_takes_defaults_from_ota_yml(cli, tmp_path: Path) -> None:
    Path("ota.yml").write_text(f"project: fromyml\nkeys:\n  dir: {tmp_path / 'k'}\n"
                               "mcuboot:\n  signature_type: ed25519\n  encryption: true\n")
    assert cli("keys", "init").code == 0
    assert "SB_CONFIG_BOOT_SIGNATURE_TYPE_ED25519=y" in (tmp_path / "k" /
                                                         "sysbuild-keys.conf").read_text()
    assert (tmp_path / "k" / "encryption.pem").is_file()


def test_init_refuses_a_dir_inside_a_git_work_tree(cli, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    r = cli("keys", "init", "--keys-dir", repo / "keys")
    assert r.code == 2
    assert r.err.splitlines()[0] == (
        f"zephyr-ota: error: {repo / 'keys'}: keys directory is inside the git work tree "
        f"{repo}; private keys there end up committed")
    assert "Traceback" not in r.err and not (repo / "keys").exists()
    assert cli("keys", "init", "--keys-dir", repo / "keys", "--force").code == 0


def test_init_never_overwrites_keys(cli, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert cli("keys", "init", "--keys-dir", keys).code == 0
    before = (keys / "signing.pem").read_bytes()
    r = cli("keys", "init", "--keys-dir", keys)
    assert r.code == 2
    assert r.err.splitlines()[0] == (f"zephyr-ota: error: {keys / 'signing.pem'}: key file "
                                      f"already exists; not overwriting it")
    assert (keys / "signing.pem").read_bytes() == before


def test_init_refuses_a_pair_mcuboot_cannot_use(cli, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    r = cli("keys", "init", "--keys-dir", keys, "-t", "ed25519", "--enc-type", "ecdsa-p256")
    assert r.code == 1
    assert r.err == ("zephyr-ota: error: encryption key type ecdsa-p256 cannot be used with a "
                     "ed25519 signing key: MCUboot supports rsa-2048/rsa-3072 -> rsa-2048, "
                     "ecdsa-p256 -> ecdsa-p256, ed25519 -> x25519\n")
    assert not keys.exists()


def test_init_with_password_protects_the_files(cli, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEPHYR_OTA_KEY_PASSWORD", "s3cret-pass")
    keys = tmp_path / "keys"
    assert cli("keys", "init", "--keys-dir", keys, "--password").code == 0
    assert b"ENCRYPTED PRIVATE KEY" in (keys / "signing.pem").read_bytes()
    from zephyr_ota.keys import load_private_key

    load_private_key(keys / "signing.pem", b"s3cret-pass")


def _pem(path: Path, key_type: str = "ecdsa-p256", password: bytes | None = None) -> Path:
    from zephyr_ota.keys import generate_key
    from zephyr_ota.keys.base import KeyType

    path.write_bytes(generate_key(KeyType(key_type)).private_pem(password))
    path.chmod(0o600)
    return path


def test_import_password_protected_key_keeps_it_protected(cli, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    src = _pem(tmp_path / "mine.pem", password=b"pw-1234")
    monkeypatch.setenv("ZEPHYR_OTA_KEY_PASSWORD", "pw-1234")
    keys = tmp_path / "keys"
    r = cli("keys", "import", "--keys-dir", keys, "--signing", src)
    assert r.code == 0, r.err
    assert (keys / "signing.pem").read_bytes() == src.read_bytes()
    assert mode(keys / "signing.pem") == 0o600
    assert fragment(keys / "sysbuild-keys.conf")["SB_CONFIG_BOOT_SIGNATURE_KEY_FILE"] == \
        str(keys / "signing.pem")
    assert_no_private_material(r.out + r.err, src, password=b"pw-1234")


def test_import_wrong_password(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _pem(tmp_path / "mine.pem", password=b"right")
    monkeypatch.setenv("ZEPHYR_OTA_KEY_PASSWORD", "wrong")
    keys = tmp_path / "keys"
    r = cli("keys", "import", "--keys-dir", keys, "--signing", src)
    assert r.code == 1
    assert r.err == f"zephyr-ota: error: {src}: wrong password for the encrypted private key\n"
    assert not (keys / "signing.pem").exists()


def test_import_trusted_key_for_rotation_stores_only_the_public_half(cli, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert cli("keys", "init", "--keys-dir", keys).code == 0
    other = _pem(tmp_path / "prod.pem")
    r = cli("keys", "import", "--keys-dir", keys, "--trusted", other)
    assert r.code == 0, r.err
    stored = keys / "trusted-1.pub.pem"
    assert b"PRIVATE" not in stored.read_bytes()
    value = fragment(keys / "sysbuild-keys.conf")["SB_CONFIG_BOOT_SIGNATURE_KEY_FILE"]
    assert value == f"{keys / 'signing.pem'},{stored}"
    assert_no_private_material(r.out + r.err, other)
    # check: the store's list passes (first entry private, second public-only)
    c = cli("keys", "check", "--keys-dir", keys, "--signature-type", "ecdsa-p256")
    assert c.code == 0, c.err


def test_import_trusted_key_of_another_type_is_refused(cli, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert cli("keys", "init", "--keys-dir", keys).code == 0
    other = _pem(tmp_path / "ed.pem", "ed25519")
    r = cli("keys", "import", "--keys-dir", keys, "--trusted", other)
    assert r.code == 1
    assert r.err == (f"zephyr-ota: error: {other}: trusted key is ed25519, expected ecdsa-p256 "
                     f"like the signing key\n")


def test_import_nothing_is_a_usage_error(cli, tmp_path: Path) -> None:
    r = cli("keys", "import", "--keys-dir", tmp_path / "k")
    assert r.code == 2
    assert r.err == ("zephyr-ota: error: keys import: nothing to import; give --signing, "
                     "--encryption or --trusted\n")


def test_show_prints_public_keys_and_hashes_only(cli, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert cli("keys", "init", "--keys-dir", keys, "-t", "ed25519", "--encrypt").code == 0
    r = cli("keys", "show", "--keys-dir", keys)
    assert r.code == 0, r.err
    from zephyr_ota.keys import key_hash, load_public_key

    for name in ("signing.pem", "encryption.pem"):
        pub = load_public_key(keys / name)
        assert key_hash(pub).hex() in r.out
        assert pub.public_pem().decode().splitlines()[1] in r.out
    assert "PRIVATE" not in r.out
    assert_no_private_material(r.out + r.err, keys / "signing.pem", keys / "encryption.pem")


@pytest.mark.parametrize("pem", sorted(DEV_KEYS.glob("*.pem")), ids=lambda p: p.name)
def test_show_marks_published_keys(cli, pem: Path) -> None:
    r = cli("keys", "show", pem)
    assert r.code == 0 and "WARNING: MCUboot's published key" in r.out
    assert_no_private_material(r.out + r.err, pem)


@pytest.mark.parametrize("pem", sorted(DEV_KEYS.glob("*.pem")), ids=lambda p: p.name)
def test_check_refuses_every_published_key_for_release(cli, pem: Path, tmp_path: Path) -> None:
    copy = tmp_path / pem.name
    copy.write_bytes(pem.read_bytes())
    copy.chmod(0o600)
    option = "--encryption-key" if pem.name.startswith("enc-") else "--key"
    dev = cli("keys", "check", option, copy)
    assert dev.code == 0
    assert "zephyr-ota: warning: " in dev.err and "published" in dev.err
    rel = cli("keys", "check", option, copy, "--release")
    assert rel.code == 1
    last = rel.err.strip().splitlines()
    assert last[-2].startswith(f"zephyr-ota: error: {copy}: ")
    assert "MCUboot's published" in last[-2] and pem.name in last[-2]
    assert last[-1] == "  Hint: create your own keys with 'zephyr-ota keys init'"
    assert "Traceback" not in rel.err
    assert_no_private_material(dev.out + dev.err + rel.out + rel.err, copy)


def test_release_in_ota_yml_makes_published_keys_errors(cli, tmp_path: Path) -> None:
    copy = tmp_path / "root-ed25519.pem"
    copy.write_bytes((DEV_KEYS / "root-ed25519.pem").read_bytes())
    copy.chmod(0o600)
    Path("ota.yml").write_text(f"release: true\nkeys:\n  signing: {copy}\n")
    r = cli("keys", "check")
    assert r.code == 1 and "MCUboot's published signing key" in r.err


def test_world_readable_key_is_flagged(cli, tmp_path: Path) -> None:
    key = _pem(tmp_path / "k.pem")
    key.chmod(0o644)
    r = cli("keys", "check", "--key", key)
    assert r.code == 0
    assert r.err.splitlines()[0] == (f"zephyr-ota: warning: {key}: private key is readable by "
                                     f"everyone (mode 0644); expected 0600")
    r = cli("keys", "check", "--key", key, "--release")
    assert r.code == 1


def test_no_key_to_check(cli) -> None:
    r = cli("keys", "check")
    assert r.code == 1
    assert r.err.splitlines()[0] == "zephyr-ota: error: keys check: no key to check"


def test_os_umask_does_not_matter(cli, tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        assert cli("keys", "init", "--keys-dir", tmp_path / "k").code == 0
    finally:
        os.umask(old)
    assert mode(tmp_path / "k" / "signing.pem") == 0o600


def test_check_against_ota_yml_signature_type(cli, tmp_path: Path) -> None:
    key = _pem(tmp_path / "sign.pem")
    Path("ota.yml").write_text(f"keys:\n  signing: {key}\nmcuboot:\n  signature_type: ed25519\n")
    r = cli("keys", "check")
    assert r.code == 1
    config = Path.cwd() / "ota.yml"
    assert r.err.splitlines()[-1] == (f"zephyr-ota: error: {key}: signing key is ecdsa-p256, "
                                      f"but MCUboot verifies ed25519 ({config}:4: "
                                      f"mcuboot.signature_type)")


def test_check_reports_a_missing_key_named_in_ota_yml(cli, tmp_path: Path) -> None:
    Path("ota.yml").write_text("project: demo\nkeys:\n  signing: gone.pem\n")
    r = cli("keys", "check")
    assert r.code == 1
    config = Path.cwd() / "ota.yml"
    assert r.err == (f"zephyr-ota: error: {config}:3: keys.signing: file not found: "
                     f"{config.parent / 'gone.pem'}\n")


def test_init_refuses_a_signature_type_zephyr_cannot_configure(cli, tmp_path: Path) -> None:
    Path("ota.yml").write_text(f"keys:\n  dir: {tmp_path / 'k'}\n"
                               "mcuboot:\n  signature_type: ecdsa-p384\n")
    r = cli("keys", "init")
    assert r.code == 1
    assert r.err == ("zephyr-ota: error: signing key type ecdsa-p384: Zephyr's MCUboot "
                     "configuration offers rsa-2048, rsa-3072, ecdsa-p256, ed25519\n")
    assert not (tmp_path / "k").exists()
