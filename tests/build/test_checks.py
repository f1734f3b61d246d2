"""Each check of sign-build, provoked: exact one-line message, exit status,
no traceback, and no output file left behind (issue 3 "Checks before
anything is written", issue 7)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

DEV_KEYS = Path(__file__).resolve().parents[1] / "data" / "mcuboot-dev-keys"
OUTPUTS = ("zephyr.signed.bin", "zephyr.signed.hex", "zephyr.signed.encrypted.bin", "merged.hex",
           "ota-manifest.json", "ota-manifest.json.sig", "dfu_application.zip")


def _key(path: Path, kind: str, public: bool = False) -> Path:
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec, x25519

    key = {"p256": lambda: ec.generate_private_key(ec.SECP256R1()),
           "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
           "x25519": x25519.X25519PrivateKey.generate}[kind]()
    if public:
        data = key.public_key().public_bytes(ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo)
    else:
        data = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    path.write_bytes(data)
    return path


def refused(run, build: Path, message: str, rc: int = 1, domain: str = "app") -> None:  # type: ignore[no-untyped-def]
    assert run.rc == rc, run.err
    errors = [line for line in run.err.splitlines() if line.startswith("zephyr-ota: error: ")]
    assert errors == [f"zephyr-ota: error: {message}"], run.err
    assert "Traceback" not in run.err
    out = build / domain / "zephyr"
    left = [n for n in OUTPUTS if (out / n).exists()] + [p.name for p in out.glob(".sign-ota-*")]
    assert left == [], f"left behind: {left}"


def test_header_size_must_equal_rom_start_offset(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    run = cli("sign-build", "-d", build, "--header-size", "0x400")
    refused(run, build, f"--header-size: header size: expected 0x200 ({build}/app/zephyr/.config:7: "
                        "CONFIG_ROM_START_OFFSET), got 0x400")
    assert "Hint: the application reserves exactly CONFIG_ROM_START_OFFSET" in run.err


def test_image_linked_for_another_address(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    from fixtures.builddirs import SPECS

    spec = SPECS["nrf52840dk_move"]
    image = dataclasses.replace(spec.images[0], load_address=0x20200)
    build, _ = make_zephyr_build("nrf52840dk_move", images=(image,))
    run = cli("sign-build", "-d", build)
    refused(run, build, f"{build}/app/zephyr/zephyr.elf: linked at 0x20200: expected slot0 "
                        "(slot0_partition) at 0xc000 + header 0x200 = 0xc200")


def test_real_firmware_built_without_mcuboot(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    # The PyPI Zephyr 4.4.0 firmware is linked at 0x0 with CONFIG_ROM_START_OFFSET=0.
    build, _ = make_zephyr_build("nrf52840dk_real440")
    run = cli("sign-build", "-d", build, "--header-size", "0x200")
    refused(run, build, "--header-size: header size: expected 0x0 "
            f"({build}/hci_usb/zephyr/.config:7: CONFIG_ROM_START_OFFSET), got 0x200",
            domain="hci_usb")
    run = cli("sign-build", "-d", build)
    assert run.rc == 1
    assert (f"zephyr-ota: error: {build}/hci_usb/zephyr/.config:7: CONFIG_ROM_START_OFFSET: "
            "expected the MCUboot header size (CONFIG_ROM_START_OFFSET > 0), got 0") in run.err


def test_image_too_large_for_the_mode_budget(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    from fixtures.builddirs import SPECS

    spec = SPECS["nrf52840dk_move"]
    image = dataclasses.replace(spec.images[0], code_size=0x74000)
    build, _ = make_zephyr_build("nrf52840dk_move", images=(image,))
    run = cli("sign-build", "-d", build)
    assert run.rc == 1, run.err
    line = next(x for x in run.err.splitlines() if x.startswith("zephyr-ota: error:"))
    assert line.startswith(f"zephyr-ota: error: {build}/app/zephyr/zephyr.elf: image 0 (app): "
                           "expected at most 475136 bytes (header + code + TLVs) for "
                           "swap-using-move in a 0x76000-byte slot, got ")
    refused(run, build, line.removeprefix("zephyr-ota: error: "))
    assert "mcu-tools/mcuboot#1845" in run.err   # imgtool's estimate would have accepted it


def test_sector_count_over_max_sectors(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move", max_sectors=64)
    run = cli("sign-build", "-d", build)
    refused(run, build, "image 0 (app): primary slot: expected at most "
            "CONFIG_BOOT_MAX_IMG_SECTORS=64 sectors, got 118 [mode from "
            f"{build}/mcuboot/zephyr/.config:8; max sectors from {build}/mcuboot/zephyr/.config:"
            "20: CONFIG_BOOT_MAX_IMG_SECTORS]")


def test_signing_key_not_trusted(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, keys = make_zephyr_build("nrf52840dk_move")
    other = _key(tmp_path / "other.pem", "p256")
    run = cli("sign-build", "-d", build, "-k", other)
    assert run.rc == 1
    line = next(x for x in run.err.splitlines() if "error:" in x)
    assert line.endswith(f"expected one of the keys MCUboot trusts ({build}/mcuboot/zephyr/"
                         f".config:17 entry 1 ({keys.signing})), got a different key")
    refused(run, build, line.removeprefix("zephyr-ota: error: "))


def test_encryption_requested_but_mcuboot_not_built_for_it(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    pub = _key(tmp_path / "enc.pub.pem", "p256", public=True)
    run = cli("sign-build", "-d", build, "-E", pub)
    refused(run, build, "-E/--encrypt-key: encryption requested, but MCUboot was built without "
            f"it ({build}/mcuboot/zephyr/.config:18: CONFIG_BOOT_ENCRYPT_IMAGE is not set)")


def test_encryption_key_of_the_wrong_type(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_ext_enc")
    pub = _key(tmp_path / "x.pub.pem", "x25519", public=True)
    run = cli("sign-build", "-d", build, "-E", pub)
    refused(run, build, "-E/--encrypt-key: encryption key: expected a key for MCUboot's "
            "CONFIG_BOOT_ENCRYPT_EC256, got X25519 (ENCX25519)")


def test_p384_encryption_key_is_refused(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_ext_enc")
    pub = _key(tmp_path / "p384.pub.pem", "p384", public=True)
    run = cli("sign-build", "-d", build, "-E", pub)
    refused(run, build, "-E/--encrypt-key: MCUboot has no encryption scheme for ECDSA P-384 keys")


def test_mcuboot_encrypts_but_no_key(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fixtures.builddirs import generate_keys

    keys = generate_keys(tmp_path / "keys")
    bare = dataclasses.replace(keys, encryption=None, encryption_public=None)
    build, _ = make_zephyr_build("nrf52840dk_ext_enc", keys=bare)
    run = cli("sign-build", "-d", build)
    refused(run, build, f"{build}/mcuboot/zephyr/.config:18: MCUboot decrypts images "
            "(CONFIG_BOOT_ENCRYPT_IMAGE=y), but no encryption key is configured")


def test_release_refuses_published_dev_key(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    dev = DEV_KEYS / "root-ec-p256.pem"
    run = cli("sign-build", "-d", build, "--release", "-k", dev, "--trusted-key", dev)
    refused(run, build, "-k/--key: signing key: expected a private project key for a release, "
            "got MCUboot's published development key (mcu-tools/mcuboot: root-ec-p256-pkcs8.pem)")
    # Without --release the same build signs (with the dev key trusted).
    ok = cli("sign-build", "-d", build, "-k", dev, "--trusted-key", dev)
    assert ok.rc == 0, ok.err


def test_missing_build_dir(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = cli("sign-build", "-d", tmp_path / "nowhere")
    assert run.rc == 1
    assert run.err.splitlines()[0] == f"zephyr-ota: error: {tmp_path}/nowhere: build directory not found"


def test_usage_error_exit_2(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    run = cli("sign-build", "-d", build, "--allow-downgrade")
    assert run.rc == 2
    assert run.err.splitlines() == ["zephyr-ota: error: --allow-downgrade: needs --previous MANIFEST"]


def _first_release(make_zephyr_build, cli, tmp_path, *args):  # type: ignore[no-untyped-def]
    build, keys = make_zephyr_build("nrf52840dk_move")
    assert cli("sign-build", "-d", build, *args).rc == 0
    previous = tmp_path / "previous.json"
    previous.write_bytes((build / "app" / "zephyr" / "ota-manifest.json").read_bytes())
    for name in OUTPUTS:
        (build / "app" / "zephyr" / name).unlink(missing_ok=True)
    return build, previous


def test_lower_version_than_previous(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, previous = _first_release(make_zephyr_build, cli, tmp_path)
    run = cli("sign-build", "-d", build, "--version", "1.0.0", "--previous", previous)
    refused(run, build, f"{previous}: images[app].version: expected at least 1.2.3+4 (previous "
            "release), got 1.0.0+0")
    warn = cli("sign-build", "-d", build, "--version", "1.0.0", "--previous", previous,
               "--allow-downgrade")
    assert warn.rc == 0, warn.err
    assert (f"zephyr-ota: warning: {previous}: images[app].version: expected at least 1.2.3+4 "
            "(previous release), got 1.0.0+0") in warn.err


def test_lower_security_counter_than_previous(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, previous = _first_release(make_zephyr_build, cli, tmp_path, "--security-counter", "5")
    run = cli("sign-build", "-d", build, "--security-counter", "3", "--previous", previous,
              "--allow-downgrade")
    refused(run, build, f"{previous}: images[app].security_counter: expected at least 5 "
            "(previous release), got 3")
    assert cli("sign-build", "-d", build, "--security-counter", "5", "--previous",
               previous).rc == 0


def test_rom_end_offset_reserved_by_the_build(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    config = build / "app" / "zephyr" / ".config"
    config.write_text(config.read_text().replace("CONFIG_ROM_END_OFFSET=0x0",
                                                 "CONFIG_ROM_END_OFFSET=0x70000"))
    run = cli("sign-build", "-d", build)
    assert run.rc == 1
    line = next(x for x in run.err.splitlines() if x.startswith("zephyr-ota: error:"))
    assert line.startswith(f"zephyr-ota: error: {build}/app/zephyr/zephyr.elf: image of ")
    assert line.endswith("bytes: expected at most 24576 (slot minus CONFIG_ROM_END_OFFSET "
                         "0x70000), got " + line.split("image of ")[1].split(" ")[0])
    refused(run, build, line.removeprefix("zephyr-ota: error: "))


def test_swap_move_with_128k_sectors_mcuboot_1845(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    # STM32F4 slots of 3 x 128 KiB sectors: swap-using-move keeps one sector free
    # and the trailer takes another, so MCUboot accepts 128 KiB where imgtool's
    # estimate accepts ~384 KiB and the device panics at swap time (mcu-tools/mcuboot#1845).
    from fixtures.builddirs import SPECS
    from zephyr_ota.layout.model import UpgradeMode

    spec = SPECS["stm32f4_scratch"]
    image = dataclasses.replace(spec.images[0], code_size=0x40000)
    build, _ = make_zephyr_build("stm32f4_scratch", mode=UpgradeMode.SWAP_USING_MOVE,
                                 images=(image,))
    run = cli("sign-build", "-d", build)
    assert run.rc == 1
    line = next(x for x in run.err.splitlines() if x.startswith("zephyr-ota: error:"))
    assert line.startswith(f"zephyr-ota: error: {build}/app/zephyr/zephyr.elf: image 0 (app): "
                           "expected at most 131072 bytes (header + code + TLVs) for "
                           "swap-using-move in a 0x60000-byte slot, got ")
    assert ("Hint: imgtool's estimate would accept it, but MCUboot's swap-using-move budget "
            "is smaller (mcu-tools/mcuboot#1845)") in run.err
    refused(run, build, line.removeprefix("zephyr-ota: error: "))


@pytest.mark.parametrize(("reg", "message", "hint"), [
    # storage moved 0x1000 down into slot1 [0x82000, 0xf8000)
    ("<0xf7000 0x8000>", "storage_partition [0xf7000, 0xff000) overlaps slot1_partition "
     "[0x82000, 0xf8000) by 0x1000 bytes", "start storage_partition at 0xf8000"),
    # storage grown past the 1 MiB flash
    ("<0xf8000 0x10000>", "storage_partition [0xf8000, 0x108000) ends past the end of "
     "/soc/flash-controller@4001e000/flash@0 (size 0x100000) by 0x8000",
     "shrink it to 0x8000 bytes or move it"),
])
def test_partitions_overlapping_or_past_the_flash_end(make_zephyr_build, cli, reg: str,
                                                      message: str, hint: str) -> None:  # type: ignore[no-untyped-def]
    """Issue 8: Zephyr has no build-time overlap check; sign-ota refuses such a build."""
    build, _ = make_zephyr_build("nrf52840dk_move")
    dts = build / "mcuboot" / "zephyr" / "zephyr.dts"
    text = dts.read_text()
    assert "reg = <0xf8000 0x8000>;" in text
    dts.write_text(text.replace("reg = <0xf8000 0x8000>;", f"reg = {reg};"))
    run = cli("sign-build", "-d", build)
    refused(run, build, f"{dts}: /soc/flash-controller@4001e000/flash@0/partitions/"
                        f"partition@f8000: {message}")
    assert f"Hint: {hint}" in run.err


def test_bad_version_names_where_it_came_from(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    run = cli("sign-build", "-d", build, "--version", "1.2.3.4.5")
    assert run.rc == 1 and "Traceback" not in run.err
    errors = [line for line in run.err.splitlines() if line.startswith("zephyr-ota: error: ")]
    assert len(errors) == 1 and errors[0].startswith("zephyr-ota: error: --version: "), run.err
