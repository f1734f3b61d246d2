"""zephyr.kconfig: values, types, provenance, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from zephyr_ota.errors import InputError
from zephyr_ota.zephyr.kconfig import load_config, parse_config

DATA = Path(__file__).resolve().parent.parent / "data" / "kconfig"

TEXT = """#
# Automatically generated file; DO NOT EDIT.
#
CONFIG_BOOT_SWAP_USING_MOVE=y
# CONFIG_BOOT_UPGRADE_ONLY is not set
CONFIG_BOOT_SIGNATURE_KEY_FILE="/keys/root \\"ec\\" \\\\p256.pem"
CONFIG_ROM_START_OFFSET=0x200
CONFIG_BOOT_MAX_IMG_SECTORS=256
CONFIG_NEG=-3

CONFIG_EMPTY=""
CONFIG_BOOT_MAX_IMG_SECTORS=512
"""


def test_values_and_types() -> None:
    k = parse_config(TEXT, "mcuboot/zephyr/.config")
    assert k.flag("CONFIG_BOOT_SWAP_USING_MOVE") is True
    assert k.flag("CONFIG_BOOT_UPGRADE_ONLY") is False
    assert k.flag("CONFIG_ABSENT") is False
    assert k.string("CONFIG_BOOT_SIGNATURE_KEY_FILE") == '/keys/root "ec" \\p256.pem'
    assert k.integer("CONFIG_ROM_START_OFFSET") == 0x200
    assert k.integer("CONFIG_NEG") == -3
    assert k.integer("CONFIG_ABSENT", 7) == 7
    assert k.string("CONFIG_EMPTY") == ""
    assert k.integer("CONFIG_BOOT_MAX_IMG_SECTORS") == 512        # last assignment wins
    assert k.with_prefix("CONFIG_BOOT_SWAP_") == ("CONFIG_BOOT_SWAP_USING_MOVE",)
    assert "CONFIG_BOOT_UPGRADE_ONLY" in k and len(k) == 7
    assert dict(k.items())["CONFIG_NEG"].raw == "-3"            # a real Mapping


def test_provenance() -> None:
    k = parse_config(TEXT, "mcuboot/zephyr/.config")
    assert str(k.source("CONFIG_ROM_START_OFFSET")) == "mcuboot/zephyr/.config:7"
    assert str(k.source("CONFIG_BOOT_UPGRADE_ONLY")) == "mcuboot/zephyr/.config:5"
    assert str(k.source("CONFIG_BOOT_MAX_IMG_SECTORS")) == "mcuboot/zephyr/.config:12"
    assert str(k.source("CONFIG_X")) == "mcuboot/zephyr/.config (CONFIG_X absent: default)"


def test_frozen() -> None:
    k = parse_config("CONFIG_A=y\n", "x")
    with pytest.raises(TypeError):
        k.entries["CONFIG_A"] = None  # type: ignore[index]


@pytest.mark.parametrize(("text", "call", "message"), [
    ('CONFIG_A="x"\n', lambda k: k.flag("CONFIG_A"), "c:1: CONFIG_A: expected y or n, got 'x'"),
    ("CONFIG_A=12\n", lambda k: k.string("CONFIG_A"), "c:1: CONFIG_A: expected a quoted string, got 12"),
    ("CONFIG_A=0xZZ\n", lambda k: k.integer("CONFIG_A"), "c:1: CONFIG_A: expected an integer, got '0xZZ'"),
    ('CONFIG_A="12"\n', lambda k: k.integer("CONFIG_A"), "c:1: CONFIG_A: expected an integer, got '12'"),
])
def test_type_errors(text, call, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as e:
        call(parse_config(text, "c"))
    assert str(e.value) == message


INVALID = {
    "invalid_garbage.config": "{p}:2: expected NAME=value or '# NAME is not set', got "
                              "'this is not kconfig'",
    "invalid_unterminated.config": '{p}:2: CONFIG_KEY: unterminated string "root.pem',
    "invalid_inner_quote.config": '{p}:1: CONFIG_X: unescaped quote inside string "a"b"',
    "invalid_not_utf8.config": "{p}:2: not UTF-8 text: a .config file is text",
}


@pytest.mark.parametrize("path", sorted(DATA.glob("invalid_*")), ids=lambda p: p.name)
def test_invalid_files(path: Path) -> None:
    with pytest.raises(InputError) as e:
        load_config(path)
    assert str(e.value) == INVALID[path.name].format(p=path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        load_config(tmp_path / ".config")
    assert str(e.value) == f"{tmp_path / '.config'}: Kconfig .config file not found"
