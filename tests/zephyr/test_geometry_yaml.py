"""zephyr.geometry_yaml: the user's flash geometry file, validated by pykwalify,
errors naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from zephyr_ota.errors import InputError
from zephyr_ota.zephyr.devicetree import load_devicetree
from zephyr_ota.zephyr.geometry_yaml import SCHEMA_PATH, load_geometry_yaml

DATA = Path(__file__).resolve().parent.parent / "data"


def test_stm32f4_file() -> None:
    g = load_geometry_yaml(DATA / "dts" / "stm32f4-geometry.yml")
    (e,) = g.entries
    assert e.node == "flash0" and e.write_block == 1 and e.erase_block is None
    assert e.sectors == (0x4000,) * 4 + (0x10000,) + (0x20000,) * 7
    assert str(e.source("write-block-size")) == f"{g.path}:9 (flash0 write-block-size)"
    assert g.find(("/x", "flash0")) is e and g.find(("nope",)) is None


def test_schema_ships_with_the_package() -> None:
    assert SCHEMA_PATH.is_file() and SCHEMA_PATH.parent.name == "zephyr"


INVALID = {
    "invalid_type.yml": "{p}:4: /flashes/0/write-block-size: Value 'four' is not of type 'int'",
    "invalid_unknown_key.yml": "{p}:3: /flashes/0/erase_block: Key 'erase_block' was not defined",
    "invalid_missing_flashes.yml": "{p}:1: /: Cannot find required key 'flashes'",
    "invalid_both_sectors_and_erase.yml": "{p}:4: flash0: give either sectors or "
                                          "erase-block-size, not both",
    "invalid_yaml.yml": "{p}:3: invalid YAML: expected ',' or ']', but got '<stream end>'",
}


@pytest.mark.parametrize("path", sorted((DATA / "geometry").glob("invalid_*")),
                         ids=lambda p: p.name)
def test_invalid(path: Path) -> None:
    with pytest.raises(InputError) as e:
        load_geometry_yaml(path)
    assert str(e.value) == INVALID[path.name].format(p=path)


def test_sector_map_must_cover_the_flash() -> None:
    path = DATA / "geometry" / "sector_sum_mismatch.yml"
    with pytest.raises(InputError) as e:
        load_devicetree(DATA / "dts" / "stm32f4_disco.dts", geometry=load_geometry_yaml(path))
    assert str(e.value) == (f"{path}:3: flash0: sectors cover 0x10000 bytes, expected the "
                            "flash size 0x100000")


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "g.yml"
    p.write_text("")
    with pytest.raises(InputError) as e:
        load_geometry_yaml(p)
    assert str(e.value) == f"{p}: empty geometry file; expected a 'flashes:' list"
