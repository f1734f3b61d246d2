"""sample-app/: the files a Zephyr sysbuild application needs, configured
for zephyr-ota, and its ota.yml accepted by the key audit in development mode.

No Zephyr tree here, so the checks are on the files' content: the symbols the
walkthrough relies on, Zephyr's VERSION format, ota.yml against the package's
schema, and `zephyr-ota keys check --config sample-app/ota.yml` with keys made
by `keys init` from the same ota.yml.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample-app"


def conf(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        m = re.fullmatch(r"((?:SB_)?CONFIG_\w+)=(.*)", line.strip())
        if m:
            values[m.group(1)] = m.group(2)
    return values


def test_application_files() -> None:
    for name in ("CMakeLists.txt", "prj.conf", "sysbuild.conf", "VERSION", "src/main.c",
                 "ota.yml", "README.md", "sample.yaml"):
        assert (SAMPLE / name).is_file(), name
    cmake = (SAMPLE / "CMakeLists.txt").read_text()
    assert "find_package(Zephyr REQUIRED HINTS $ENV{ZEPHYR_BASE})" in cmake
    assert "target_sources(app PRIVATE src/main.c)" in cmake


def test_prj_conf_image_management_and_mcumgr() -> None:
    values = conf(SAMPLE / "prj.conf")
    for symbol in ("CONFIG_BOOTLOADER_MCUBOOT", "CONFIG_MCUBOOT_IMG_MANAGER", "CONFIG_IMG_MANAGER",
                   "CONFIG_FLASH", "CONFIG_FLASH_MAP", "CONFIG_STREAM_FLASH", "CONFIG_LOG",
                   "CONFIG_MCUMGR", "CONFIG_MCUMGR_GRP_IMG", "CONFIG_MCUMGR_GRP_OS",
                   "CONFIG_MCUMGR_TRANSPORT_UART", "CONFIG_UART_CONSOLE_MCUMGR"):
        assert values.get(symbol) == "y", symbol


def test_sysbuild_conf() -> None:
    values = conf(SAMPLE / "sysbuild.conf")
    assert values == {
        "SB_CONFIG_BOOTLOADER_MCUBOOT": "y",
        "SB_CONFIG_MCUBOOT_MODE_SWAP_USING_OFFSET": "y",
        "SB_CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256": "y",
        "SB_CONFIG_BOOT_ENCRYPTION": "y",
        "SB_CONFIG_ZEPHYR_OTA_SIGN": "y",
    }
    # Keys come from `ota-keys init`'s fragment, never from the source tree.
    assert "KEY_FILE" not in (SAMPLE / "sysbuild.conf").read_text().replace(
        "# ", "").split("SB_CONFIG_BOOT_ENCRYPTION=y")[1]


def test_version_file_is_zephyr_format() -> None:
    # Zephyr's VERSION: VERSION_MAJOR, VERSION_MINOR, PATCHLEVEL, VERSION_TWEAK, EXTRAVERSION
    lines = dict(line.split("=") for line in (SAMPLE / "VERSION").read_text().splitlines())
    fields = {k.strip(): v.strip() for k, v in lines.items()}
    assert list(fields) == ["VERSION_MAJOR", "VERSION_MINOR", "PATCHLEVEL", "VERSION_TWEAK",
                            "EXTRAVERSION"]
    assert all(fields[k].isdigit() for k in list(fields)[:4])


def test_main_confirms_only_when_not_confirmed() -> None:
    text = (SAMPLE / "src" / "main.c").read_text()
    assert "#include <zephyr/dfu/mcuboot.h>" in text
    assert "#include <app_version.h>" in text
    confirmed = text.index("boot_is_img_confirmed()")
    write = text.index("boot_write_img_confirmed()")
    assert confirmed < write
    assert "APP_VERSION_EXTENDED_STRING" in text


def test_ota_yml_matches_sysbuild_conf() -> None:
    from zephyr_ota.config.loader import load_ota_config

    config = load_ota_config(SAMPLE / "ota.yml")
    assert config.mcuboot.mode == "swap-using-offset"
    assert config.mcuboot.signature_type == "ecdsa-p256"
    assert config.mcuboot.encryption is True
    assert config.version.file == SAMPLE / "VERSION"
    assert config.release is False


def zephyr_ota(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zephyr_ota", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_keys_check_passes_in_development_mode(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    init = zephyr_ota("keys", "init", "--keys-dir", str(keys), "--config", "ota.yml", cwd=SAMPLE)
    assert init.returncode == 0, init.stderr
    fragment = keys / "sysbuild-keys.conf"
    values = conf(fragment)
    assert values["SB_CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256"] == "y"
    assert values["SB_CONFIG_BOOT_ENCRYPTION"] == "y"
    assert values["SB_CONFIG_BOOT_SIGNATURE_KEY_FILE"] == f'"{keys / "signing.pem"}"'
    check = zephyr_ota("keys", "check", "--config", "ota.yml", "--keys-dir", str(keys), cwd=SAMPLE)
    assert check.returncode == 0, check.stderr
    assert "no errors" in check.stderr
    # The sample's own configuration enables nothing that needs --force.
    assert "Traceback" not in init.stderr + check.stderr


@pytest.mark.parametrize("name", ["prj.conf", "sysbuild.conf", "sysbuild/mcuboot.conf"])
def test_conf_files_have_only_symbol_lines(name: str) -> None:
    for number, line in enumerate((SAMPLE / name).read_text().splitlines(), 1):
        stripped = line.strip()
        assert not stripped or stripped.startswith("#") or re.fullmatch(
            r"(SB_)?CONFIG_\w+=(y|n|\d+|0x[0-9a-fA-F]+|\".*\")", stripped), f"{name}:{number}: {line}"
