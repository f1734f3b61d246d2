"""zephyr.configs: the MCUboot, sysbuild and application options, key lists
(zephyr PR #111203: comma-separated, first signs) and their resolution."""

from __future__ import annotations

from pathlib import Path

from zephyr_ota.layout.model import UpgradeMode
from zephyr_ota.zephyr.configs import (
    McubootPaths,
    PathContext,
    app_options,
    key_list,
    mcuboot_config,
    sysbuild_config,
)
from zephyr_ota.zephyr.kconfig import parse_config


def test_key_list_comma_separated_first_signs(tmp_path: Path) -> None:
    a, b = tmp_path / "a.pem", tmp_path / "b.pub.pem"
    a.write_text("x")
    b.write_text("y")
    k = parse_config(f'SB_CONFIG_BOOT_SIGNATURE_KEY_FILE="{a}, {b}"\n', "sb/.config")
    keys = key_list(k, "SB_CONFIG_BOOT_SIGNATURE_KEY_FILE", PathContext())
    assert [(r.raw, r.path, r.exists) for r in keys] == [(str(a), a, True), (str(b), b, True)]
    assert str(keys[0].source) == "sb/.config:1"


def test_relative_key_paths_try_each_base_in_order(tmp_path: Path) -> None:
    conf_dir, module = tmp_path / "conf", tmp_path / "mcuboot"
    conf_dir.mkdir()
    module.mkdir()
    (module / "root-ec-p256.pem").write_text("k")
    k = parse_config('CONFIG_BOOT_SIGNATURE_KEY_FILE="root-ec-p256.pem"\n', "m/.config")
    (ref,) = key_list(k, "CONFIG_BOOT_SIGNATURE_KEY_FILE", PathContext((conf_dir, module)))
    assert ref.path == module / "root-ec-p256.pem" and ref.exists
    assert str(ref.source) == f"m/.config:1, relative to {module}"
    (conf_dir / "root-ec-p256.pem").write_text("k")  # the config dir wins when it has it
    (ref,) = key_list(k, "CONFIG_BOOT_SIGNATURE_KEY_FILE", PathContext((conf_dir, module)))
    assert ref.path == conf_dir / "root-ec-p256.pem"


def test_missing_relative_key_is_reported_not_raised(tmp_path: Path) -> None:
    k = parse_config('CONFIG_MCUBOOT_SIGNATURE_KEY_FILE="keys/none.pem"\n', "a/.config")
    (ref,) = key_list(k, "CONFIG_MCUBOOT_SIGNATURE_KEY_FILE", PathContext((tmp_path,)))
    assert (ref.path, ref.exists) == (tmp_path / "keys/none.pem", False)


def test_app_dir_variable_expanded(tmp_path: Path) -> None:
    k = parse_config('SB_CONFIG_BOOT_SIGNATURE_KEY_FILE="${APP_DIR}/k.pem,'
                     '$(ZEPHYR_MCUBOOT_MODULE_DIR)/root.pem"\n', "sb")
    ctx = PathContext((), {"APP_DIR": "/ws/app", "ZEPHYR_MCUBOOT_MODULE_DIR": "/ws/mcuboot"})
    assert [r.path for r in key_list(k, "SB_CONFIG_BOOT_SIGNATURE_KEY_FILE", ctx)] == [
        Path("/ws/app/k.pem"), Path("/ws/mcuboot/root.pem")]


def test_empty_key_list() -> None:
    k = parse_config('CONFIG_BOOT_SIGNATURE_KEY_FILE=""\n', "m")
    assert key_list(k, "CONFIG_BOOT_SIGNATURE_KEY_FILE", PathContext()) == ()


MCUBOOT = """CONFIG_BOOT_SWAP_USING_OFFSET=y
CONFIG_BOOT_SIGNATURE_TYPE_ED25519=y
CONFIG_BOOT_SIGNATURE_KEY_FILE="/k/a.pem,/k/b.pem"
CONFIG_BOOT_ENCRYPT_IMAGE=y
CONFIG_BOOT_ENCRYPT_X25519=y
CONFIG_BOOT_ENCRYPT_ALG_AES_256=y
CONFIG_BOOT_ENCRYPTION_KEY_FILE="/k/enc.pem"
CONFIG_BOOT_SWAP_SAVE_ENCTLV=y
CONFIG_BOOT_MAX_IMG_SECTORS_AUTO=y
CONFIG_UPDATEABLE_IMAGE_NUMBER=2
"""


def test_mcuboot_config() -> None:
    m = mcuboot_config(parse_config(MCUBOOT, "m/.config"), PathContext(),
                       McubootPaths(Path("m"), None, None))
    assert m.mode.value is UpgradeMode.SWAP_USING_OFFSET and str(m.mode.source) == "m/.config:1"
    assert m.signature_type.value == "ED25519"
    assert [k.path for k in m.signature_keys] == [Path("/k/a.pem"), Path("/k/b.pem")]
    assert (m.encrypt.value, m.encrypt_type.value, m.aes256.value, m.save_enctlv.value) == (
        True, "X25519", True, True)
    assert m.encryption_key is not None and m.encryption_key.path == Path("/k/enc.pem")
    # BOOT_MAX_IMG_SECTORS depends on !BOOT_MAX_IMG_SECTORS_AUTO: AUTO means "computed".
    assert m.max_img_sectors.value is None and m.max_img_sectors_auto.value is True
    assert str(m.max_img_sectors.source) == "m/.config:9"
    assert m.image_number.value == 2 and m.single_slot.value is False


def test_mcuboot_defaults_when_absent() -> None:
    m = mcuboot_config(parse_config("CONFIG_BOOT_UPGRADE_ONLY=y\n", "m"), PathContext(),
                       McubootPaths(Path("m"), None, None))
    assert m.mode.value is UpgradeMode.OVERWRITE_ONLY
    assert m.max_img_sectors.value == 128
    assert str(m.max_img_sectors.source) == \
        "m (CONFIG_BOOT_MAX_IMG_SECTORS absent: Kconfig default 128)"
    assert m.signature_type.value is None and m.encryption_key is None


def test_sysbuild_config() -> None:
    text = ("SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_MCUBOOT_MODE_SWAP_WITHOUT_SCRATCH=y\n"
            "SB_CONFIG_BOOT_SIGNATURE_TYPE_RSA=y\nSB_CONFIG_BOOT_ENCRYPTION=y\n"
            'SB_CONFIG_BOOT_ENCRYPTION_KEY_FILE="/k/enc-rsa.pem"\n')
    s = sysbuild_config(parse_config(text, "sb"), PathContext())
    assert s.bootloader_mcuboot.value and s.mode.value is UpgradeMode.SWAP_USING_MOVE
    assert s.signature_type.value == "RSA" and s.encryption.value
    assert s.encryption_key is not None and str(s.encryption_key.source) == "sb:5"
    assert s.signature_keys == ()


def test_app_options_defaults() -> None:
    a = app_options(parse_config("CONFIG_BOOTLOADER_MCUBOOT=y\n", "app"), PathContext())
    assert a.rom_start_offset.value == 0 and a.sign_version.value == "0.0.0+0"
    assert str(a.sign_version.source) == "app (CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION absent: default)"
    assert a.mode.value is None and a.kernel_bin_name.value == "zephyr"


def test_fixed_max_sectors_not_trusted_when_auto() -> None:
    text = "CONFIG_BOOT_MAX_IMG_SECTORS_AUTO=y\nCONFIG_BOOT_MAX_IMG_SECTORS=512\n"
    m = mcuboot_config(parse_config(text, "m"), PathContext(), McubootPaths(Path("m"), None, None))
    assert m.max_img_sectors.value is None and str(m.max_img_sectors.source) == "m:1"
    text = "# CONFIG_BOOT_MAX_IMG_SECTORS_AUTO is not set\nCONFIG_BOOT_MAX_IMG_SECTORS=512\n"
    m = mcuboot_config(parse_config(text, "m"), PathContext(), McubootPaths(Path("m"), None, None))
    assert m.max_img_sectors.value == 512 and str(m.max_img_sectors.source) == "m:2"
