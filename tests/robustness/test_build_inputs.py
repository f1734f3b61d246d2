"""sign-build / layout with broken build directories and output folders:
a devicetree without flash (was ``plan: no flash devices``, naming no file),
a non-UTF-8 devicetree (was Python's codec message without a line), an
output folder or --tuf-targets that is a file (the TUF case wrote the whole
release, then failed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import assert_refused

NO_FLASH = ("expected a flash device (compatible soc-nv-flash, jedec,spi-nor, nordic,qspi-nor, "
            "jedec,mspi-nor), found none")
NO_FLASH_HINT = ("is this the board's devicetree? give --geometry for a flash the devicetree "
                 "does not describe")


@pytest.mark.parametrize("check", [False, True])
def test_layout_devicetree_without_flash(check: bool, ota, tmp_path: Path) -> None:
    dts = tmp_path / "in" / "empty board.dts"
    dts.parent.mkdir()
    dts.write_text("/dts-v1/;\n/ { chosen { }; };\n")
    args = ["--check"] if check else ["-o", tmp_path / "out"]
    assert_refused(ota("layout", *args, dts), f"{dts}: {NO_FLASH}", hint=NO_FLASH_HINT)


def test_layout_build_whose_mcuboot_devicetree_has_no_flash(ota, make_zephyr_build,
                                                            tmp_path: Path) -> None:
    build, _ = make_zephyr_build("nrf52840dk_offset")
    dts = build / "mcuboot" / "zephyr" / "zephyr.dts"
    dts.write_text("/dts-v1/;\n/ { };\n")
    assert_refused(ota("layout", "-d", build, "-o", tmp_path / "out"), f"{dts}: {NO_FLASH}",
                   hint=NO_FLASH_HINT)


def test_devicetree_not_utf8(ota, make_zephyr_build, tmp_path: Path) -> None:
    build, _ = make_zephyr_build("nrf52840dk_offset")
    dts = build / "app" / "zephyr" / "zephyr.dts"
    dts.write_bytes(b"/dts-v1/;\n/ {\n\tmodel = \"caf\xe9\";\n};\n")
    message = f"{dts}:3: not UTF-8 text: byte 0xE9 cannot start or continue a UTF-8 character"
    assert_refused(ota("sign-build", "-d", build, "-o", tmp_path / "out"), message)
    assert_refused(ota("layout", dts, "-o", tmp_path / "lay"), message)


def test_devicetree_is_a_directory(ota, tmp_path: Path) -> None:
    folder = tmp_path / "board.dts"
    folder.mkdir()
    assert_refused(ota("layout", folder), f"{folder}: expected a devicetree file, found a "
                   "directory")


def test_sign_build_out_dir_is_a_file(ota, make_zephyr_build, tmp_path: Path) -> None:
    build, _ = make_zephyr_build("nrf52840dk_offset")
    out = tmp_path / "out"
    out.write_text("x")
    assert_refused(ota("sign-build", "-d", build, "-o", out),
                   f"{out}: cannot write: expected an output folder, found a file")


def test_sign_build_tuf_targets_is_a_file(ota, make_zephyr_build, tmp_path: Path) -> None:
    build, _ = make_zephyr_build("nrf52840dk_offset")
    tuf = tmp_path / "tuf"
    tuf.write_text("x")
    run = ota("sign-build", "-d", build, "-o", tmp_path / "out", "--tuf-targets", tuf)
    assert_refused(run, f"{tuf}: --tuf-targets: expected a folder, found a file")
    assert not (tmp_path / "out").exists()


def test_layout_out_dir_is_a_file(ota, make_zephyr_build, tmp_path: Path) -> None:
    build, _ = make_zephyr_build("nrf52840dk_offset")
    out = tmp_path / "lay"
    out.write_text("x")
    run = ota("layout", "-d", build, "-o", out)
    assert_refused(run, f"{out / 'boards' / 'nrf52840dk_nrf52840.overlay'}: cannot write: "
                   f"{out} is a file, expected a folder")


@pytest.fixture
def release(ota, make_zephyr_build, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A signed release in tmp_path/rel and the key that signed it."""
    build, keys = make_zephyr_build("nrf52840dk_offset")
    assert ota("sign-build", "-d", build, "-o", tmp_path / "rel").rc == 0
    return tmp_path / "rel", keys.signing


@pytest.mark.parametrize(("damage", "message"), [
    ("image dir", "{rel}/zephyr.signed.bin: image app listed in the manifest is a directory"),
    ("image cut", "{rel}/zephyr.signed.bin: size: expected {size} bytes (manifest), got 100"),
    ("signature empty", "{rel}/ota-manifest.json.sig: not a JSON signature list: Expecting "
                        "value: line 1 column 1 (char 0)"),
    ("manifest dir", "{rel}/ota-manifest.json: expected a manifest, found a directory"),
])
def test_verify_build_damaged_release(damage: str, message: str, ota, release) -> None:
    rel, key = release
    image = rel / "zephyr.signed.bin"
    size = image.stat().st_size
    if damage == "image dir":
        image.unlink()
        image.mkdir()
    elif damage == "image cut":
        image.write_bytes(image.read_bytes()[:100])
    elif damage == "signature empty":
        (rel / "ota-manifest.json.sig").write_bytes(b"")
    else:
        (rel / "ota-manifest.json").unlink()
        (rel / "ota-manifest.json").mkdir()
    run = ota("verify-build", "-m", rel / "ota-manifest.json", "--key", key,
              "--manifest-key", key)
    assert_refused(run, message.format(rel=rel, size=size))


def test_sign_build_bad_previous_leaves_no_out_dir(ota, make_zephyr_build, tmp_path: Path) -> None:
    """--previous is read after signing; the output folder made for the
    release used to stay behind, empty."""
    build, keys = make_zephyr_build("nrf52840dk_offset")
    run = ota("sign-build", "-d", build, "-o", tmp_path / "out", "--previous", keys.signing)
    assert_refused(run, f"{keys.signing}:1:1: invalid JSON: Expecting value")
    assert not (tmp_path / "out").exists()


def _unlink_firmware(build: Path) -> None:
    for p in (build / "app" / "zephyr").glob("zephyr.*"):
        if p.suffix in (".elf", ".hex", ".bin"):
            p.unlink()


BUILD_CASES = {
    "no domains.yaml": (lambda b: (b / "domains.yaml").unlink(),
                        "{b}/zephyr: no zephyr.elf or zephyr.hex: build the application first"),
    "no app .config": (lambda b: (b / "app" / "zephyr" / ".config").unlink(),
                       "{b}/app/zephyr/.config: Kconfig .config file not found"),
    "sysbuild .config not UTF-8": (
        lambda b: (b / "zephyr" / ".config").write_bytes(b"CONFIG_X=\xff\n"),
        "{b}/zephyr/.config:1: not UTF-8 text: a .config file is text"),
    "no app devicetree": (lambda b: (b / "app" / "zephyr" / "zephyr.dts").unlink(),
                          "{b}/app/zephyr/zephyr.dts: devicetree file not found"),
    "devicetree syntax": (
        lambda b: (b / "app" / "zephyr" / "zephyr.dts").write_text("garbage {{{"),
        "{b}/app/zephyr/zephyr.dts:1 (column 1): parse error: expected '/dts-v1/;' at start of "
        "file"),
    "devicetree without chosen": (
        lambda b: (b / "app" / "zephyr" / "zephyr.dts").write_text("/dts-v1/;\n/ { };\n"),
        "{b}/app/zephyr/zephyr.dts: expected a chosen zephyr,code-partition, found none"),
    "no firmware": (_unlink_firmware,
                    "{b}/app/zephyr: no zephyr.elf or zephyr.hex: build the application first"),
    "no mcuboot .config": (lambda b: (b / "mcuboot" / "zephyr" / ".config").unlink(),
                           "{b}/mcuboot/zephyr/.config: Kconfig .config file not found"),
    "domains.yaml a directory": (
        lambda b: ((b / "domains.yaml").unlink(), (b / "domains.yaml").mkdir()),
        "{b}/domains.yaml: expected a sysbuild domains file, found a directory"),
}


@pytest.mark.parametrize("case", sorted(BUILD_CASES))
def test_broken_build_dir(case: str, ota, make_zephyr_build, tmp_path: Path) -> None:
    build, _ = make_zephyr_build("nrf52840dk_offset")
    damage, message = BUILD_CASES[case]
    damage(build)
    assert_refused(ota("sign-build", "-d", build, "-o", tmp_path / "out"),
                   message.format(b=build))
    assert not (tmp_path / "out").exists()
