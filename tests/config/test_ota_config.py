"""ota.yml: a valid file loads into OtaConfig; every kind of mistake (unknown
key, wrong type, missing file, bad YAML) is one message naming file, line, key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from zephyr_ota.config import find_ota_config, load_ota_config, schema
from zephyr_ota.errors import InputError

DATA = Path(__file__).parent / "data"
INVALID = sorted(DATA.glob("invalid_*.yml"))


def expected_error(source: Path, config: Path) -> str:
    first = source.read_text().splitlines()[0]
    assert first.startswith("# error: "), source
    return first[len("# error: "):].format(path=config, dir=config.parent.resolve())


@pytest.mark.parametrize("source", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_config_names_file_line_and_key(source: Path, tmp_path: Path) -> None:
    config = tmp_path / "ota.yml"
    shutil.copy(source, config)
    with pytest.raises(InputError) as info:
        load_ota_config(config)
    assert str(info.value) == expected_error(source, config)
    assert "\n" not in str(info.value)


def test_every_kind_of_mistake_is_covered() -> None:
    names = {p.stem for p in INVALID}
    assert {"invalid_unknown_key", "invalid_wrong_type_bool", "invalid_missing_key_file"} <= names


def test_more_problems_are_counted_in_the_hint(tmp_path: Path) -> None:
    config = tmp_path / "ota.yml"
    config.write_text("release: maybe\nkeys: 3\nfoo: 1\n")
    with pytest.raises(InputError) as info:
        load_ota_config(config)
    assert str(info.value) == f"{config}:1: release: expected true or false, got the string 'maybe'"
    assert info.value.hint == f"2 more problem(s) in {config}"


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"ota.yml: ota.yml not found$"):
        load_ota_config(tmp_path / "ota.yml")


def test_valid_config_loads_and_resolves_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTA_KEYS", str(tmp_path / "k"))
    (tmp_path / "k").mkdir()
    for name in ("sign.pem", "old-pub.pem", "enc.pem"):
        (tmp_path / "k" / name).write_text("x")
    (tmp_path / "VERSION").write_text("VERSION_MAJOR = 1\n")
    config = tmp_path / "ota.yml"
    config.write_text(
        "project: demo\n"
        "release: true\n"
        "keys:\n"
        "  dir: $OTA_KEYS\n"
        "  signing: sign.pem\n"
        "  trusted: [old-pub.pem]\n"
        "  encryption: enc.pem\n"
        "mcuboot:\n"
        "  mode: swap-using-offset\n"
        "  signature_type: ecdsa-p256\n"
        "  encryption: true\n"
        "  aes_bits: 256\n"
        "version:\n"
        "  file: VERSION\n"
        "  security_counter: 3\n"
        "manifest:\n"
        "  key: pkcs11:token=ci;object=manifest\n"
        "  fields: {product: demo, hw: [1, 2]}\n"
        "outputs:\n"
        "  dir: out\n")
    cfg = load_ota_config(config)
    assert cfg.project == "demo" and cfg.release is True
    assert cfg.keys.dir == tmp_path / "k"
    assert cfg.keys.signing == str(tmp_path / "k" / "sign.pem")
    assert cfg.keys.trusted == (tmp_path / "k" / "old-pub.pem",)
    assert cfg.keys.encryption == tmp_path / "k" / "enc.pem"
    assert cfg.mcuboot.mode == "swap-using-offset" and cfg.mcuboot.aes_bits == 256
    assert cfg.version.file == tmp_path / "VERSION" and cfg.version.security_counter == 3
    assert cfg.manifest.key == "pkcs11:token=ci;object=manifest"
    assert dict(cfg.manifest.fields) == {"product": "demo", "hw": [1, 2]}
    assert cfg.outputs.dir == tmp_path / "out"
    assert cfg.where("keys.signing") == f"{config}:5"
    assert cfg.where("keys.trusted.0") == f"{config}:6"
    assert cfg.where("outputs.manifest") == str(config)


def test_empty_config_is_all_defaults(tmp_path: Path) -> None:
    config = tmp_path / "ota.yml"
    config.write_text("# nothing yet\n")
    cfg = load_ota_config(config)
    assert cfg.release is False and cfg.keys.signing is None and cfg.mcuboot.sysbuild is True


def test_uris_are_not_files(tmp_path: Path) -> None:
    config = tmp_path / "ota.yml"
    config.write_text("keys:\n  signing: 'cmd:kms-sign --key prod'\n")
    assert load_ota_config(config).keys.signing == "cmd:kms-sign --key prod"


def test_find_prefers_the_first_dir(tmp_path: Path) -> None:
    app, cwd = tmp_path / "app", tmp_path / "cwd"
    app.mkdir()
    cwd.mkdir()
    assert find_ota_config(app, cwd) is None
    (cwd / "ota.yml").write_text("")
    assert find_ota_config(app, cwd) == cwd / "ota.yml"
    (app / "ota.yaml").write_text("")
    assert find_ota_config(app, cwd) == app / "ota.yaml"


def test_schema_is_package_data() -> None:
    assert schema()["type"] == "map"
    assert "keys" in schema()["mapping"]


def test_pykwalify_prints_nothing(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "ota.yml"
    config.write_text("release: maybe\n")
    with pytest.raises(InputError):
        load_ota_config(config)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
