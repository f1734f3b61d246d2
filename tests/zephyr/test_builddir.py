"""zephyr.builddir over generated sysbuild build directories (fixtures/builddirs.py)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from fixtures.builddirs import CODE_ADDRESS, SPECS
from zephyr_ota.errors import InputError
from zephyr_ota.layout.model import UpgradeMode
from zephyr_ota.zephyr.builddir import read_build_dir

DATA = Path(__file__).resolve().parent.parent / "data"

# spec -> (app domains, mode, slot0 address, slot size, header, max sectors, encrypt)
EXPECTED = {
    "nrf52840dk_move": (["app"], UpgradeMode.SWAP_USING_MOVE, 0xC000, 0x76000, 0x200, None, False),
    "nrf52840dk_offset": (["app"], UpgradeMode.SWAP_USING_OFFSET, 0xC000, 0x76000, 0x200, None, False),
    "nrf52840dk_ext_enc": (["app"], UpgradeMode.SWAP_USING_MOVE, 0xC000, 0xEC000, 0x200, 256, True),
    "stm32f4_scratch": (["app"], UpgradeMode.SWAP_USING_SCRATCH, 0x08020000, 0x60000, 0x200, None, False),
    "nrf5340dk_2images": (["app", "ipc_radio"], UpgradeMode.SWAP_USING_MOVE, 0x10000, 0x70000, 0x200, 256, False),
    "nrf52840dk_real440": (["hci_usb"], UpgradeMode.SWAP_USING_OFFSET, 0xC000, 0x76000, 0, None, False),
    "nrf52840dk_real440_rebased": (["hci_usb"], UpgradeMode.SWAP_USING_OFFSET, 0xC000, 0x76000, 0x200, None, False),
    # direct-xip / ram-load (tests/build/test_xip_ram.py); the slot1 variant is not an app domain
    "nrf52840dk_direct_xip": (["app"], UpgradeMode.DIRECT_XIP, 0xC000, 0x76000, 0x200, None, False),
    "nrf52840dk_direct_xip_novariant": (["app"], UpgradeMode.DIRECT_XIP, 0xC000, 0x76000, 0x200, None, False),
    "nrf52840dk_ram_load": (["app"], UpgradeMode.RAM_LOAD, 0xC000, 0x76000, 0x200, None, False),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_fixture_reads(make_zephyr_build, name: str) -> None:  # type: ignore[no-untyped-def]
    build, keys = make_zephyr_build(name)
    bd = read_build_dir(build)
    domains, mode, slot0, slot_size, header, sectors, encrypt = EXPECTED[name]
    assert bd.sysbuild and [a.domain for a in bd.apps] == domains
    assert [a.image_index for a in bd.apps] == list(range(len(domains)))
    assert bd.mcuboot is not None and bd.sysbuild_config is not None
    assert bd.mcuboot.mode.value is mode and bd.sysbuild_config.mode.value is mode
    primary, secondary = bd.slots(0)
    assert (primary.address, primary.size) == (slot0, slot_size)
    assert secondary is not None and secondary.size == slot_size
    assert bd.app.options.rom_start_offset.value == header
    assert bd.mcuboot.max_img_sectors.value == sectors
    assert bd.mcuboot.encrypt.value is encrypt and bd.sysbuild_config.encryption.value is encrypt
    assert [k.path for k in bd.mcuboot.signature_keys] == [keys.signing]
    assert bd.mcuboot.signature_keys[0].exists
    assert bd.mcuboot.hex_path is not None and bd.mcuboot.hex_path.name == "zephyr.hex"
    assert bd.info.zephyr_version == "4.4.0"
    assert bd.app.devicetree.layout.code_partition == "slot0_partition"


def test_elf_is_linked_at_slot0_plus_header(make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    bd = read_build_dir(make_zephyr_build("nrf52840dk_offset")[0])
    assert bd.app.firmware_format == "elf"
    elf = ELFFile(io.BytesIO(bd.app.firmware.read_bytes()))
    loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD" and s["p_filesz"]]
    assert min(s["p_paddr"] for s in loads) == bd.slots(0)[0].address + 0x200
    assert loads[1]["p_vaddr"] != loads[1]["p_paddr"]  # .data: RAM VMA, flash LMA


def test_provenance_of_values(make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_ext_enc")
    bd = read_build_dir(build)
    app_conf = build / "app" / "zephyr" / ".config"
    line = app_conf.read_text().splitlines().index("CONFIG_ROM_START_OFFSET=0x200") + 1
    assert str(bd.app.options.rom_start_offset.source) == f"{app_conf}:{line}"
    assert bd.app.options.sign_version.value == "1.2.3+4"
    mb_conf = build / "mcuboot" / "zephyr" / ".config"
    assert str(bd.mcuboot.max_img_sectors.source).startswith(f"{mb_conf}:")
    ext = bd.slots(0)[1]
    assert ext is not None and ext.address is None          # slot1 on the QSPI NOR
    flash = bd.app.devicetree.layout.flash(ext.flash)
    assert flash.erase_block == 4096 and flash.external
    src = str(bd.app.devicetree.flash_sources[ext.flash]["erase_block"])
    assert src.startswith(f"{app_conf}:")                    # CONFIG_NORDIC_QSPI_NOR_FLASH_LAYOUT_PAGE_SIZE
    assert bd.mcuboot.encrypt_type.value == "EC256"
    assert bd.app.options.encryption_key is not None


def test_two_image_pairs(make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    bd = read_build_dir(make_zephyr_build("nrf5340dk_2images")[0])
    net = bd.apps[1]
    assert (net.domain, net.image_index, net.board) == ("ipc_radio", 1, "nrf5340dk/nrf5340/cpunet")
    primary, secondary = bd.slots(1)
    assert (primary.label, secondary.label) == ("slot2_partition", "slot3_partition")
    assert net.devicetree.layout.partition("slot0_partition").address == 0x01000000
    assert bd.mcuboot.image_number.value == 2


def test_real_zephyr_440_firmware_is_linked_at_zero(make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    bd = read_build_dir(make_zephyr_build("nrf52840dk_real440")[0])
    assert bd.app.firmware_format == "hex" and bd.app.firmware.name == "zephyr.hex"
    first = bd.app.firmware.read_text().splitlines()[0]
    assert first == ":10000000804C0020E1350000578A0100CD3500000A"   # vector table at 0x0
    assert bd.app.options.bootloader_mcuboot.value is False
    # Linked at 0x0, while MCUboot boots slot0 + header: sign-ota must refuse it.
    assert bd.slots(0)[0].address + 0x200 == CODE_ADDRESS["nrf52840dk.dts"] + 0x200 == 0xC200


def test_trusted_key_list(make_zephyr_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fixtures.builddirs import generate_keys
    keys = generate_keys(tmp_path / "k", extra_trusted=2)
    bd = read_build_dir(make_zephyr_build("nrf52840dk_move", keys=keys)[0])
    assert [k.path for k in bd.mcuboot.signature_keys] == [keys.signing, *keys.extra_trusted]
    assert [k.path for k in bd.sysbuild_config.signature_keys] == \
        [keys.signing, *keys.extra_trusted]


def test_moved_build_directory_still_reads(make_zephyr_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    moved = tmp_path / "elsewhere"
    shutil.move(str(build), moved)          # domains.yaml keeps the old absolute paths
    bd = read_build_dir(moved)
    assert bd.app.build_dir == moved / "app" and bd.mcuboot.build_dir == moved / "mcuboot"


def test_single_image_build(make_zephyr_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    single = tmp_path / "single"
    shutil.copytree(build / "app", single)
    bd = read_build_dir(single)
    assert not bd.sysbuild and bd.mcuboot is None and bd.sysbuild_config is None
    assert bd.app.image_index == 0 and bd.slots(0)[0].label == "slot0_partition"


def test_elf_missing_falls_back_to_hex(make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    (build / "app" / "zephyr" / "zephyr.elf").unlink()
    assert read_build_dir(build).app.firmware.name == "zephyr.hex"


def _msg(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as e:
        call()
    assert "\n" not in str(e.value)
    return str(e.value)


def test_errors_missing_pieces(make_zephyr_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert _msg(lambda: read_build_dir(tmp_path / "nope")) == \
        f"{tmp_path / 'nope'}: build directory not found"
    build, _ = make_zephyr_build("nrf52840dk_move")
    zdir = build / "app" / "zephyr"
    for f in ("zephyr.elf", "zephyr.hex"):
        (zdir / f).unlink()
    assert _msg(lambda: read_build_dir(build)) == \
        f"{zdir}: no zephyr.elf or zephyr.hex: build the application first"
    (zdir / ".config").unlink()
    assert _msg(lambda: read_build_dir(build)) == \
        f"{zdir / '.config'}: Kconfig .config file not found"
    shutil.rmtree(zdir)
    assert _msg(lambda: read_build_dir(build)) == \
        f"{build / 'app'}: not a Zephyr build folder (no zephyr/ inside)"


def test_error_missing_devicetree(make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    (build / "app" / "zephyr" / "zephyr.dts").unlink()
    assert _msg(lambda: read_build_dir(build)) == \
        f"{build / 'app' / 'zephyr' / 'zephyr.dts'}: devicetree file not found"


def test_error_malformed_config_in_build(make_zephyr_build) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    conf = build / "mcuboot" / "zephyr" / ".config"
    conf.write_text(conf.read_text() + "CONFIG_BROKEN\n")
    n = len(conf.read_text().splitlines())
    assert _msg(lambda: read_build_dir(build)) == \
        f"{conf}:{n}: expected NAME=value or '# NAME is not set', got 'CONFIG_BROKEN'"


INVALID_DOMAINS = {
    "invalid_default.yaml": "{p}:1: default: expected one of app, got 'missing'",
    "invalid_entry.yaml": "{p}: domains: expected entries with 'name' and 'build_dir', got 'app'",
    "invalid_no_domains.yaml": "{p}: expected a mapping with a non-empty 'domains' list",
    "invalid_yaml.yaml": "{p}:3: invalid YAML: expected the node content, but found '<stream end>'",
}


@pytest.mark.parametrize("src", sorted((DATA / "domains").glob("invalid_*")), ids=lambda p: p.name)
def test_invalid_domains_yaml(make_zephyr_build, src: Path) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_move")
    shutil.copyfile(src, build / "domains.yaml")
    assert _msg(lambda: read_build_dir(build)) == \
        INVALID_DOMAINS[src.name].format(p=build / "domains.yaml")
