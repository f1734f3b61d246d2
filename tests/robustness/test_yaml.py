"""YAML inputs (ota.yml, domains.yaml, --geometry, --from-pm) with tabs, NUL
characters, non-UTF-8 bytes, or a list where a mapping belongs. PyYAML's own
message spans two lines (``in "<unicode string>", position 2``) and
``errors="replace"`` used to turn a non-UTF-8 byte into a silent U+FFFD."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import assert_refused

DATA = Path(__file__).parent / "data"
DTS = Path(__file__).parent.parent / "data" / "dts" / "nrf52840dk.dts"

# name -> (content, message after "<file>")
YAML_CASES = {
    "tabs": (b"project:\tfoo\n", ":1: invalid YAML: found character '\\t' that cannot start "
             "any token"),
    "nul": (b"project: a\x00\n", ":1: invalid YAML: special characters are not allowed: "
            "found character U+0000"),
    "nul_line3": (b"# c\n# d\nproject: a\x00\n", ":3: invalid YAML: special characters are "
                  "not allowed: found character U+0000"),
    "not_utf8": (b"# ok\nproject: caf\xe9\n", ":2: not UTF-8 text: byte 0xE9 cannot start or "
                 "continue a UTF-8 character"),
}


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / "in" / f"{name}.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_ota_yml(case: str, ota, tmp_path: Path) -> None:
    content, message = YAML_CASES[case]
    path = _write(tmp_path, case, content)
    assert_refused(ota("keys", "show", "--config", path), f"{path}{message}")


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_geometry_yaml(case: str, ota, tmp_path: Path) -> None:
    content, message = YAML_CASES[case]
    path = _write(tmp_path, case, content)
    assert_refused(ota("layout", "--geometry", path, DTS, "-o", tmp_path / "out"),
                   f"{path}{message}")


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_partition_manager_yaml(case: str, ota, tmp_path: Path) -> None:
    content, message = YAML_CASES[case]
    path = _write(tmp_path, case, content)
    assert_refused(ota("layout", "--from-pm", path, DTS, "-o", tmp_path / "out"),
                   f"{path}{message}")


@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_domains_yaml(case: str, ota, make_zephyr_build, tmp_path: Path) -> None:
    content, message = YAML_CASES[case]
    build, _ = make_zephyr_build("nrf52840dk_offset")
    (build / "domains.yaml").write_bytes(content)
    assert_refused(ota("sign-build", "-d", build, "-o", tmp_path / "out"),
                   f"{build / 'domains.yaml'}{message}")


def test_ota_yml_list(ota) -> None:
    path = DATA / "invalid_ota_list.yml"
    assert_refused(ota("keys", "show", "--config", path),
                   f"{path}:1: expected a mapping of settings, got a list")


def test_domains_yaml_list(ota, make_zephyr_build, tmp_path: Path) -> None:
    build, _ = make_zephyr_build("nrf52840dk_offset")
    (build / "domains.yaml").write_bytes((DATA / "invalid_ota_list.yml").read_bytes())
    assert_refused(ota("sign-build", "-d", build, "-o", tmp_path / "out"),
                   f"{build / 'domains.yaml'}: expected a mapping with a non-empty 'domains' list")


def test_ota_yml_fuzz(tmp_path: Path) -> None:
    """Random YAML documents: the loader raises OtaError (one line) or loads."""
    import yaml
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from zephyr_ota.config.loader import load_ota_config
    from zephyr_ota.errors import OtaError

    keys = st.sampled_from(["project", "release", "keys", "signing", "trusted", "mcuboot",
                            "mode", "aes_bits", "version", "file", "value", "dir", "x"])
    scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | \
        st.text(max_size=8)
    tree = st.recursive(scalars, lambda c: st.lists(c, max_size=3)
                        | st.dictionaries(keys | st.integers(0, 3), c, max_size=4),
                        max_leaves=12)
    path = tmp_path / "ota.yml"

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
    @given(tree, st.booleans())
    def check(data: object, flow: bool) -> None:
        path.write_text(yaml.safe_dump(data, default_flow_style=flow))
        try:
            load_ota_config(path)
        except OtaError as e:
            assert "\n" not in str(e) and str(e).startswith(str(path))
    check()


@pytest.mark.parametrize(("content", "found"), [(b"- a\n- b\n", "a list"), (b"42\n", "42")])
def test_geometry_yaml_not_a_mapping(content: bytes, found: str, ota, tmp_path: Path) -> None:
    """pykwalify's "/: Value '['a', 'b']' is not a dict. Value path: ''" before."""
    path = _write(tmp_path, "geometry", content)
    assert_refused(ota("layout", "--geometry", path, DTS, "-o", tmp_path / "out"),
                   f"{path}:1: expected a mapping with a 'flashes:' list, got {found}")
