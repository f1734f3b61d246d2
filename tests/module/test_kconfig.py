"""The module's sysbuild Kconfig, parsed with kconfiglib as sysbuild would.

Sysbuild's Kconfig tree is not available here, so a stub root defines what
the file depends on (BOOTLOADER_MCUBOOT inside the BOOTLOADER choice, as in
share/sysbuild/images/bootloader/Kconfig) and sources the module file the way
zephyr_module.py's kconfig_snippet does: inside a menu named after the
module, followed by ZEPHYR_<NAME>_MODULE. Symbols are written with the
SB_CONFIG_ prefix (sysbuild_kconfig.cmake: KCONFIG_NAMESPACE SB_CONFIG).
"""

from __future__ import annotations

from pathlib import Path

import kconfiglib
import pytest

REPO = Path(__file__).resolve().parents[2]
MODULE_KCONFIG = REPO / "zephyr" / "sysbuild" / "Kconfig"

ROOT = f"""\
mainmenu "sysbuild stub"

choice BOOTLOADER
\tprompt "Bootloader support"
\tdefault BOOTLOADER_NONE
config BOOTLOADER_NONE
\tbool "None"
config BOOTLOADER_MCUBOOT
\tbool "MCUboot"
endchoice

menu "zephyr-ota ({REPO.as_posix()})"
osource "{MODULE_KCONFIG.as_posix()}"
config ZEPHYR_ZEPHYR_OTA_MODULE
\tbool
\tdefault y
endmenu
"""

OPTIONS = ("ZEPHYR_OTA_RELEASE", "ZEPHYR_OTA_MANIFEST_KEY", "ZEPHYR_OTA_OUT_DIR",
           "ZEPHYR_OTA_VERIFY", "ZEPHYR_OTA_EXTRA_ARGS")


@pytest.fixture
def kconf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> kconfiglib.Kconfig:
    monkeypatch.setenv("CONFIG_", "SB_CONFIG_")
    root = tmp_path / "Kconfig"
    root.write_text(ROOT)
    k = kconfiglib.Kconfig(str(root), warn_to_stderr=False)
    assert k.warnings == []
    return k


def load(kconf: kconfiglib.Kconfig, tmp_path: Path, text: str) -> None:
    conf = tmp_path / "sysbuild.conf"
    conf.write_text(text)
    kconf.load_config(str(conf))


def test_symbols_and_types(kconf: kconfiglib.Kconfig) -> None:
    syms = kconf.syms
    assert syms["ZEPHYR_OTA_SIGN"].type == kconfiglib.BOOL
    assert syms["ZEPHYR_OTA_RELEASE"].type == kconfiglib.BOOL
    assert syms["ZEPHYR_OTA_VERIFY"].type == kconfiglib.BOOL
    for name in ("ZEPHYR_OTA_MANIFEST_KEY", "ZEPHYR_OTA_OUT_DIR", "ZEPHYR_OTA_EXTRA_ARGS"):
        assert syms[name].type == kconfiglib.STRING
    for name in ("ZEPHYR_OTA_SIGN", *OPTIONS):
        assert syms[name].nodes[0].help, f"{name} has no help text"


def test_off_by_default_and_needs_mcuboot(kconf: kconfiglib.Kconfig, tmp_path: Path) -> None:
    load(kconf, tmp_path, "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n")
    assert kconf.syms["ZEPHYR_OTA_SIGN"].str_value == "n"
    # Without MCUboot the symbol cannot be set.
    load(kconf, tmp_path, "SB_CONFIG_ZEPHYR_OTA_SIGN=y\n")
    assert kconf.syms["BOOTLOADER_NONE"].str_value == "y"
    assert kconf.syms["ZEPHYR_OTA_SIGN"].str_value == "n"
    assert kconf.syms["ZEPHYR_OTA_SIGN"].visibility == 0


def test_options_only_with_sign(kconf: kconfiglib.Kconfig, tmp_path: Path) -> None:
    load(kconf, tmp_path, "SB_CONFIG_BOOTLOADER_MCUBOOT=y\n")
    for name in OPTIONS:
        assert kconf.syms[name].visibility == 0, name
    assert kconf.syms["ZEPHYR_OTA_VERIFY"].str_value == "n"


def test_defaults_when_enabled(kconf: kconfiglib.Kconfig, tmp_path: Path) -> None:
    load(kconf, tmp_path, "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_ZEPHYR_OTA_SIGN=y\n")
    syms = kconf.syms
    assert syms["ZEPHYR_OTA_SIGN"].str_value == "y"
    assert syms["ZEPHYR_OTA_VERIFY"].str_value == "y"
    assert syms["ZEPHYR_OTA_RELEASE"].str_value == "n"
    for name in ("ZEPHYR_OTA_MANIFEST_KEY", "ZEPHYR_OTA_OUT_DIR", "ZEPHYR_OTA_EXTRA_ARGS"):
        assert syms[name].str_value == ""


def test_written_config_uses_sysbuild_namespace(kconf: kconfiglib.Kconfig, tmp_path: Path) -> None:
    load(kconf, tmp_path, 'SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_ZEPHYR_OTA_SIGN=y\n'
         'SB_CONFIG_ZEPHYR_OTA_RELEASE=y\nSB_CONFIG_ZEPHYR_OTA_OUT_DIR="ota"\n')
    out = tmp_path / ".config"
    kconf.write_config(str(out))
    text = out.read_text()
    assert "SB_CONFIG_ZEPHYR_OTA_SIGN=y\n" in text
    assert "SB_CONFIG_ZEPHYR_OTA_RELEASE=y\n" in text
    assert 'SB_CONFIG_ZEPHYR_OTA_OUT_DIR="ota"\n' in text
    assert "SB_CONFIG_ZEPHYR_OTA_VERIFY=y\n" in text


def test_sample_sysbuild_conf_enables_the_hook(kconf: kconfiglib.Kconfig) -> None:
    # Symbols of the real sysbuild tree the sample sets are unknown to the
    # stub; only the module's own must resolve.
    kconf.warn = False
    kconf.load_config(str(REPO / "sample-app" / "sysbuild.conf"))
    assert kconf.syms["ZEPHYR_OTA_SIGN"].str_value == "y"


def test_readme_table_matches_kconfig(kconf: kconfiglib.Kconfig, tmp_path: Path) -> None:
    # zephyr/README.md documents every symbol with its default; keep them true.
    import re

    load(kconf, tmp_path, "SB_CONFIG_BOOTLOADER_MCUBOOT=y\nSB_CONFIG_ZEPHYR_OTA_SIGN=y\n")
    rows = re.findall(r"^\| `SB_CONFIG_(\w+)` \| ([^|]+) \|",
                      (REPO / "zephyr" / "README.md").read_text(), re.M)
    documented = {name: default.strip() for name, default in rows}
    module_syms = {s.name for s in kconf.unique_defined_syms
                   if s.name.startswith("ZEPHYR_OTA_")}
    assert set(documented) == module_syms
    for name, default in documented.items():
        sym = kconf.syms[name]
        if name == "ZEPHYR_OTA_SIGN":
            assert default == "n"            # off unless set; it is set above
            continue
        expected = f'"{sym.str_value}"' if sym.type == kconfiglib.STRING else sym.str_value
        assert default == expected, name
