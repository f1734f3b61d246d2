"""sign-build in the modes that run images where they lie: direct-xip and ram-load.

What Zephyr's build does (cited in ops/xipram.py), checked against imgtool as
the oracle: direct-xip signs the application (linked at slot0) with
``--rom-fixed`` slot0's offset and the sysbuild slot1 variant (linked at
slot1) with ``--rom-fixed`` slot1's offset; ram-load signs with ``--align 1
--load-addr <chosen zephyr,sram>`` and writes the same image for both slots.
Every file passes ``imgtool verify``; refusals give one exact line, exit 1,
no traceback and leave no file.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from zephyr_ota.firmware import load_firmware
from zephyr_ota.image.parse import parse_image, read_image

OUTPUTS = ("zephyr.signed.bin", "zephyr.signed.hex", "zephyr.slot1.signed.bin",
           "zephyr.slot1.signed.hex", "merged.hex", "ota-manifest.json",
           "ota-manifest.json.sig", "dfu_application.zip")
SLOT0, SLOT1, SRAM, SLOT_SIZE = 0xC000, 0x82000, 0x20000000, 0x76000


def _imgtool() -> str:
    return str(Path(sys.executable).parent / "imgtool")   # as tests/build/conftest.py


def refused(run, build: Path, message: str) -> None:  # type: ignore[no-untyped-def]
    assert run.rc == 1, run.err
    errors = [line for line in run.err.splitlines() if line.startswith("zephyr-ota: error: ")]
    assert errors == [f"zephyr-ota: error: {message}"], run.err
    assert "Traceback" not in run.err
    out = build / "app" / "zephyr"
    left = [n for n in OUTPUTS if (out / n).exists()] + [p.name for p in out.glob(".sign-ota-*")]
    assert left == [], f"left behind: {left}"


def _dumpinfo(path: Path) -> dict[str, str]:
    """imgtool dumpinfo's header fields (the oracle for flags and load address)."""
    proc = subprocess.run([_imgtool(), "dumpinfo", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return dict(re.findall(r"^(load_addr|flags|hdr_size|img_size):\s+(.*)$", proc.stdout, re.M))


def _imgtool_sign(firmware: Path, out: Path, key: Path, *extra: str) -> bytes:
    """What Zephyr's cmake/mcuboot.cmake runs, by imgtool itself."""
    args = [_imgtool(), "sign", "--version", "1.2.3+4", "--header-size", "0x200",
            "--slot-size", hex(SLOT_SIZE), "--pad-header", "-k", str(key), *extra,
            str(firmware), str(out)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return out.read_bytes()


def _header_and_body(data: bytes) -> bytes:
    """Header + payload (TLVs differ: ECDSA signatures are randomized)."""
    img = parse_image(data)
    return data[:img.header.hdr_size + img.header.img_size]


# -- direct-xip ---------------------------------------------------------------------------

def test_direct_xip_signs_each_slot_for_its_own_address(signed, imgtool_verify, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, keys, _ = signed("nrf52840dk_direct_xip")
    out = build / "app" / "zephyr"
    for name in ("zephyr.signed.bin", "zephyr.signed.hex", "zephyr.slot1.signed.bin",
                 "zephyr.slot1.signed.hex"):
        proc = imgtool_verify(out / name, keys.signing)
        assert "Image was correctly validated" in proc.stdout, (name, proc.stdout, proc.stderr)
    # ROM_FIXED with the slot's offset in the flash: MCUboot's boot_rom_address_check
    assert _dumpinfo(out / "zephyr.signed.bin")["load_addr"] == hex(SLOT0)
    assert _dumpinfo(out / "zephyr.slot1.signed.bin")["load_addr"] == hex(SLOT1)
    for name in ("zephyr.signed.bin", "zephyr.slot1.signed.bin"):
        assert _dumpinfo(out / name)["flags"] == "ROM_FIXED (0x100)"
    # byte for byte what imgtool gives with Zephyr's arguments (all but the signature)
    for ours, fw, rom in (("zephyr.signed.bin", build / "app", SLOT0),
                          ("zephyr.slot1.signed.bin", build / "app_slot1_variant", SLOT1)):
        theirs = _imgtool_sign(fw / "zephyr" / "zephyr.hex", tmp_path / f"{rom:x}.bin",
                               keys.signing, "--align", "4", "--rom-fixed", hex(rom))
        assert _header_and_body((out / ours).read_bytes()) == _header_and_body(theirs)
    # the hex files sit at their slots; merged.hex holds MCUboot and the slot0 image
    assert load_firmware(out / "zephyr.signed.hex").start == SLOT0
    assert load_firmware(out / "zephyr.slot1.signed.hex").start == SLOT1
    merged = load_firmware(out / "merged.hex").to_bytes(0xFF)
    image = (out / "zephyr.signed.bin").read_bytes()
    assert merged[SLOT0:SLOT0 + len(image)] == image


def test_direct_xip_manifest_and_zip_carry_slot1_as_the_ota_file(signed, cli) -> None:  # type: ignore[no-untyped-def]
    build, _, _ = signed("nrf52840dk_direct_xip")
    out = build / "app" / "zephyr"
    manifest = json.loads((out / "ota-manifest.json").read_text())
    entries = [(i["name"], i["file"], i["slot"], i["load_address"]) for i in manifest["images"]]
    assert entries == [("app", "zephyr.slot1.signed.bin", 1, SLOT1),
                       ("app-slot0", "zephyr.signed.bin", 0, SLOT0)]
    assert {i["upgrade_mode"] for i in manifest["images"]} == {"direct-xip"}
    with zipfile.ZipFile(out / "dfu_application.zip") as z:
        files = json.loads(z.read("manifest.json"))["files"]
        names = set(z.namelist()) - {"manifest.json"}
    # NCS's direct-xip zip: both slots, "slot" and "version_MCUBOOT+XIP" instead of slot indexes
    assert [(f["file"], f["slot"], f["image_index"]) for f in files] == [
        ("zephyr.slot1.signed.bin", "1", "0"), ("zephyr.signed.bin", "0", "0")]
    assert all(f["version_MCUBOOT+XIP"] == "1.2.3+4" and "slot_index_primary" not in f
               for f in files)
    assert names == {"zephyr.slot1.signed.bin", "zephyr.signed.bin"}
    verify = cli("verify-build", "-d", build)
    assert verify.rc == 0, verify.err


def test_direct_xip_nrf_connect_sdk_variant_name(signed, imgtool_verify) -> None:  # type: ignore[no-untyped-def]
    build, keys, run = signed("nrf52840dk_direct_xip", variant="ncs")
    assert "mcuboot_secondary_app/zephyr/zephyr.elf" in run.err
    image = build / "app" / "zephyr" / "zephyr.slot1.signed.bin"
    assert "Image was correctly validated" in imgtool_verify(image, keys.signing).stdout
    assert read_image(image).header.load_addr == SLOT1


def test_direct_xip_with_revert_flashes_a_confirmed_image(signed) -> None:  # type: ignore[no-untyped-def]
    build, _, run = signed("nrf52840dk_direct_xip", revert=True)
    merged = load_firmware(build / "app" / "zephyr" / "merged.hex").to_bytes(0xFF)
    img = parse_image(merged[SLOT0:SLOT0 + SLOT_SIZE], "merged.hex slot0")
    assert img.trailer is not None and img.trailer.image_ok
    assert img.header.load_addr == SLOT0
    assert "direct-xip with revert: merged.hex holds the confirmed image" in run.err


def test_direct_xip_without_variant_is_refused(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_direct_xip_novariant")
    run = cli("sign-build", "-d", build)
    refused(run, build, f"{build}/domains.yaml: direct-xip: image 0 (app) has no build linked "
            "for slot1_partition at 0x82000 (sysbuild domain app_slot1_variant), so slot1 "
            "cannot be signed; enable SB_CONFIG_MCUBOOT_DIRECT_XIP_GENERATE_VARIANT=y and "
            "build again")


def test_direct_xip_variant_linked_for_slot0_is_refused(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_direct_xip")
    dts = build / "app_slot1_variant" / "zephyr" / "zephyr.dts"
    dts.write_text(dts.read_text().replace("code-partition = &slot1_partition",
                                           "code-partition = &slot0_partition"))
    run = cli("sign-build", "-d", build)
    refused(run, build, f"{dts}: direct-xip: variant app_slot1_variant of image 0: expected "
            "chosen zephyr,code-partition = slot1_partition at 0x82000, got slot0_partition "
            "at 0xc000")
    assert "slot1-partition snippet" in run.err


def test_direct_xip_refuses_encryption_key(make_zephyr_build, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, keys = make_zephyr_build("nrf52840dk_direct_xip")
    run = cli("sign-build", "-d", build, "-E", keys.encryption_public)
    refused(run, build, "-E/--encrypt-key: encryption: MCUboot in direct-xip mode "
            f"({build}/mcuboot/zephyr/.config:11) runs images in place and cannot decrypt "
            "them; drop the encryption key and SB_CONFIG_BOOT_ENCRYPTION, or use a swap mode")


def test_direct_xip_refuses_an_encrypting_build(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build("nrf52840dk_direct_xip", encrypt=True)
    config = build / "mcuboot" / "zephyr" / ".config"
    line = config.read_text().splitlines().index("CONFIG_BOOT_ENCRYPT_IMAGE=y") + 1
    run = cli("sign-build", "-d", build)
    refused(run, build, f"{config}:{line}: CONFIG_BOOT_ENCRYPT_IMAGE: encryption: MCUboot in "
            f"direct-xip mode ({config}:11) runs images in place and cannot decrypt them; "
            "drop the encryption key and SB_CONFIG_BOOT_ENCRYPTION, or use a swap mode")


def test_direct_xip_budget_refuses_an_image_too_large(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    from fixtures.builddirs import SPECS
    from zephyr_ota.layout.budget import compute_budget, request_for_image
    from zephyr_ota.layout.model import UpgradeMode
    from zephyr_ota.zephyr.builddir import read_build_dir

    image = dataclasses.replace(SPECS["nrf52840dk_direct_xip"].images[0], code_size=0x75E00)
    build, _ = make_zephyr_build("nrf52840dk_direct_xip", images=(image,))
    layout = read_build_dir(build).mcuboot_devicetree.layout
    budget = compute_budget(request_for_image(layout, UpgradeMode.DIRECT_XIP, 0, max_align=8,
                                              max_img_sectors=None, header_size=0x200))
    run = cli("sign-build", "-d", build)
    assert run.rc == 1, run.err
    line = next(x for x in run.err.splitlines() if x.startswith("zephyr-ota: error:"))
    assert line.startswith(f"zephyr-ota: error: {build}/app/zephyr/zephyr.elf: image 0 (app): "
                           f"expected at most {budget.max_image_size} bytes (header + code + "
                           "TLVs) for direct-xip in a 0x76000-byte slot, got ")
    refused(run, build, line.removeprefix("zephyr-ota: error: "))


# -- ram-load -----------------------------------------------------------------------------

def test_ram_load_signs_with_the_load_address(signed, imgtool_verify, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    build, keys, run = signed("nrf52840dk_ram_load")
    out = build / "app" / "zephyr"
    for name in ("zephyr.signed.bin", "zephyr.signed.hex", "zephyr.slot1.signed.bin",
                 "zephyr.slot1.signed.hex"):
        proc = imgtool_verify(out / name, keys.signing)
        assert "Image was correctly validated" in proc.stdout, (name, proc.stdout, proc.stderr)
    info = _dumpinfo(out / "zephyr.signed.bin")
    assert (info["load_addr"], info["flags"]) == (hex(SRAM), "RAM_LOAD (0x20)")
    assert (out / "zephyr.signed.bin").read_bytes() == (out / "zephyr.slot1.signed.bin").read_bytes()
    assert load_firmware(out / "zephyr.signed.hex").start == SLOT0
    assert load_firmware(out / "zephyr.slot1.signed.hex").start == SLOT1
    theirs = _imgtool_sign(build / "app" / "zephyr" / "zephyr.hex", tmp_path / "ram.bin",
                           keys.signing, "--align", "1", "--load-addr", hex(SRAM))
    assert _header_and_body((out / "zephyr.signed.bin").read_bytes()) == _header_and_body(theirs)
    assert re.search(r"align\s+1\s+from ram-load: Zephyr's cmake/mcuboot.cmake passes --align 1",
                     run.err)
    manifest = json.loads((out / "ota-manifest.json").read_text())
    assert [(i["file"], i["slot"], i["load_address"]) for i in manifest["images"]] == [
        ("zephyr.slot1.signed.bin", 1, SRAM)]


def test_ram_load_image_linked_in_flash_is_refused(make_zephyr_build, cli) -> None:  # type: ignore[no-untyped-def]
    from fixtures.builddirs import SPECS

    image = dataclasses.replace(SPECS["nrf52840dk_ram_load"].images[0], load_address=None)
    build, _ = make_zephyr_build("nrf52840dk_ram_load", images=(image,))
    run = cli("sign-build", "-d", build)
    refused(run, build, f"{build}/app/zephyr/zephyr.elf: linked at 0xc200: expected the ram-load "
            f"address ({build}/mcuboot/zephyr/zephyr.dts: /chosen zephyr,sram "
            "(/soc/memory@20000000) reg) at 0x20000000 + header 0x200 = 0x20000200")


@pytest.mark.parametrize("name", ["nrf52840dk_direct_xip", "nrf52840dk_ram_load"])
def test_dry_run_writes_nothing(make_zephyr_build, cli, name: str) -> None:  # type: ignore[no-untyped-def]
    build, _ = make_zephyr_build(name)
    run = cli("sign-build", "-d", build, "--dry-run")
    assert run.rc == 0, run.err
    assert not [n for n in OUTPUTS if (build / "app" / "zephyr" / n).exists()]


def test_ram_load_encrypted_slot1_is_the_encrypted_image(signed, cli) -> None:  # type: ignore[no-untyped-def]
    # MCUboot decrypts only what it loads from slot1 (loader.c MUST_DECRYPT): slot0 gets the
    # --clear image, slot1 and the OTA file the fully encrypted one
    build, keys, _ = signed("nrf52840dk_ram_load", encrypt=True)
    out = build / "app" / "zephyr"
    encrypted = (out / "zephyr.signed.encrypted.bin").read_bytes()
    assert (out / "zephyr.slot1.signed.bin").read_bytes() == encrypted
    assert load_firmware(out / "zephyr.slot1.signed.hex").to_bytes(0xFF) == encrypted
    primary = read_image(out / "zephyr.signed.bin")
    assert primary.header.load_addr == SRAM and primary.encrypted
    manifest = json.loads((out / "ota-manifest.json").read_text())
    assert [(i["file"], i["slot"]) for i in manifest["images"]] == [
        ("zephyr.signed.encrypted.bin", 1)]
    verify = cli("verify-build", "-d", build, "--decrypt-key", keys.encryption)
    assert verify.rc == 0, verify.err
    assert "decrypted with the device key" in verify.err


# -- reading the build --------------------------------------------------------------------

@pytest.mark.parametrize(("variant", "domain"), [("zephyr", "app_slot1_variant"),
                                                 ("ncs", "mcuboot_secondary_app")])
def test_variant_domain_is_not_an_image(make_zephyr_build, variant: str, domain: str) -> None:  # type: ignore[no-untyped-def]
    from zephyr_ota.zephyr.builddir import read_build_dir

    build, _ = make_zephyr_build("nrf52840dk_direct_xip", variant=variant)
    bd = read_build_dir(build)
    assert [a.domain for a in bd.apps] == ["app"]
    found = bd.variant(0)
    assert found is not None and (found.domain, found.image_index) == (domain, 0)
    assert found.devicetree.layout.code_partition == "slot1_partition"
    assert bd.variant(1) is None


def test_chosen_ram_address_prefers_ram_load_dev(tmp_path: Path) -> None:
    from zephyr_ota.zephyr.builddir import chosen_ram_address

    dts = tmp_path / "zephyr.dts"
    body = ("/dts-v1/;\n/ {\n #address-cells = <1>;\n #size-cells = <1>;\n"
            " chosen {\n  zephyr,sram = &sram0;\n%s };\n"
            " sram0: memory@20000000 { reg = <0x20000000 0x40000>; };\n"
            " sram1: memory@20040000 { reg = <0x20040000 0x10000>; };\n};\n")
    dts.write_text(body % "")
    assert chosen_ram_address(dts) == (SRAM, f"{dts}: /chosen zephyr,sram (/memory@20000000) reg")
    dts.write_text(body % "  mcuboot,ram-load-dev = &sram1;\n")
    assert chosen_ram_address(dts)[0] == 0x20040000
    dts.write_text("/dts-v1/;\n/ { };\n")
    assert chosen_ram_address(dts) is None
