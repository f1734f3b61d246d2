"""The planner: mode rules, defaults with reasons, Kconfig values, refusals."""

from __future__ import annotations

import pytest

from zephyr_ota.errors import LayoutError, UsageError
from zephyr_ota.layout.budget import Encryption
from zephyr_ota.layout.checks import CheckOptions, check_layout
from zephyr_ota.layout.model import FlashGeometry, Layout
from zephyr_ota.layout.model import UpgradeMode as M
from zephyr_ota.layout.planner import PlanRequest, plan_layout

NRF52 = FlashGeometry("flash0", 0x100000, 0x1000, 4, base_address=0)
STM32F4 = FlashGeometry("flash", 0x100000, 0x20000, 4, base_address=0x8000000,
                        sectors=(0x4000,) * 4 + (0x10000,) + (0x20000,) * 7)
MX25 = FlashGeometry("mx25r64", 0x800000, 0x1000, 1, external=True)
W16 = FlashGeometry("flash0", 0x100000, 0x2000, 16, base_address=0)


def sizes(layout: Layout) -> dict[str, tuple[str, int, int]]:
    return {p.label: (p.flash, p.offset, p.size) for p in layout.partitions}


def test_nrf52840_move() -> None:
    plan = plan_layout(PlanRequest((NRF52,), M.SWAP_USING_MOVE))
    assert sizes(plan.layout) == {
        "boot_partition": ("flash0", 0x0, 0xC000),
        "slot0_partition": ("flash0", 0xC000, 0x76000),      # one sector larger
        "slot1_partition": ("flash0", 0x82000, 0x75000),
        "storage_partition": ("flash0", 0xF8000, 0x8000),
    }
    assert plan.max_image_size == 116 * 4096
    assert plan.layout.code_partition == "slot0_partition"
    assert any(n.startswith("boot_partition: 0xc000 bytes, default for ecdsa-p256") for n in plan.notes)
    assert any(n.startswith("storage_partition: 0x8000 bytes by default") for n in plan.notes)
    assert plan.kconfig.lines("mcuboot") == ["CONFIG_BOOT_SWAP_USING_MOVE=y",
                                             "CONFIG_BOOT_MAX_IMG_SECTORS_AUTO=y"]
    assert plan.kconfig.lines("sysbuild") == ["SB_CONFIG_BOOTLOADER_MCUBOOT=y",
                                              "SB_CONFIG_MCUBOOT_MODE_SWAP_USING_MOVE=y"]
    # ROM_END_OFFSET: slot0 0x76000 - 475,136 = 0x2000 (move sector + trailer sector)
    assert "CONFIG_ROM_END_OFFSET=0x2000" in plan.kconfig.lines("app")
    assert "CONFIG_ROM_START_OFFSET=0x200" in plan.kconfig.lines("app")


def test_nrf52840_offset_secondary_larger() -> None:
    plan = plan_layout(PlanRequest((NRF52,), M.SWAP_USING_OFFSET))
    s = sizes(plan.layout)
    assert s["slot0_partition"][2] + 0x1000 == s["slot1_partition"][2] == 0x76000
    assert plan.max_image_size == 117 * 4096 - 4096   # slot0 117 sectors - trailer sector


def test_scratch_holds_largest_sector_and_stays_internal() -> None:
    plan = plan_layout(PlanRequest((NRF52, MX25), M.SWAP_USING_SCRATCH, secondary_flash="mx25r64",
                                   encryption=Encryption.AES128))
    s = sizes(plan.layout)
    assert s["scratch_partition"][0] == "flash0" and s["scratch_partition"][2] == 0x1000
    assert s["slot1_partition"] == ("mx25r64", 0, s["slot0_partition"][2])
    assert "CONFIG_BOOT_ENCRYPT_IMAGE=y" in plan.kconfig.lines("mcuboot")
    assert any("0x4000 for image encryption" in n for n in plan.notes)
    assert check_layout(plan.layout, CheckOptions(M.SWAP_USING_SCRATCH,
                                                  encryption=Encryption.AES128))


def test_stm32f4_mixed_sectors() -> None:
    plan = plan_layout(PlanRequest((STM32F4,), M.SWAP_USING_MOVE))
    s = sizes(plan.layout)
    # storage in the small sectors after MCUboot, slots in the 128 KiB run
    assert s["storage_partition"] == ("flash", 0xC000, 0x14000)
    assert s["slot0_partition"] == ("flash", 0x20000, 0x80000)
    assert s["slot1_partition"] == ("flash", 0xA0000, 0x60000)
    assert plan.max_image_size == 2 * 0x20000       # 4 - 1 (move) - 1 (trailer) sectors
    assert any("mixed sector sizes" in n for n in plan.notes)


def test_two_image_pairs_on_external_flash() -> None:
    plan = plan_layout(PlanRequest((NRF52, MX25), M.SWAP_USING_OFFSET, images=2,
                                   secondary_flash="mx25r64"))
    s = sizes(plan.layout)
    assert [s[f"slot{i}_partition"][0] for i in range(4)] == ["flash0", "mx25r64"] * 2
    assert len(plan.budgets) == 2
    assert "SB_CONFIG_MCUBOOT_UPDATEABLE_IMAGES=2" in plan.kconfig.lines("sysbuild")
    assert "CONFIG_UPDATEABLE_IMAGE_NUMBER=2" in plan.kconfig.lines("mcuboot")


def test_fixed_max_img_sectors() -> None:
    plan = plan_layout(PlanRequest((NRF52,), M.SWAP_USING_SCRATCH, max_img_sectors=256))
    assert plan.kconfig.lines("mcuboot")[1:] == ["CONFIG_BOOT_MAX_IMG_SECTORS_AUTO=n",
                                                 "CONFIG_BOOT_MAX_IMG_SECTORS=256"]
    with pytest.raises(LayoutError, match="expected at most CONFIG_BOOT_MAX_IMG_SECTORS=32"):
        plan_layout(PlanRequest((NRF52,), M.SWAP_USING_SCRATCH, max_img_sectors=32))


def test_firmware_loader_single_and_with_loader() -> None:
    single = plan_layout(PlanRequest((NRF52,), M.FIRMWARE_LOADER))
    assert single.layout.partition("slot1_partition") is None
    assert "CONFIG_SINGLE_APPLICATION_SLOT=y" in single.kconfig.lines("mcuboot")
    loader = plan_layout(PlanRequest((NRF52,), M.FIRMWARE_LOADER, loader_size=0x20000))
    assert sizes(loader.layout)["slot1_partition"][2] == 0x20000
    assert "CONFIG_BOOT_FIRMWARE_LOADER=y" in loader.kconfig.lines("mcuboot")


def test_sixteen_byte_write_block_grows_trailer() -> None:
    plan = plan_layout(PlanRequest((W16,), M.SWAP_USING_MOVE))
    # 8 KiB sectors: 128 - 6 (boot 0xc000) - 4 (storage 0x8000) = 118; slot0 59, slot1 58,
    # one left free; trailer 59*3*16 + 64 + 16 = 2912 -> 1 sector; image 59 - 1 - 1 = 57
    assert plan.max_image_size == 57 * 0x2000
    assert plan.budgets[0].boot_max_align == 16


def test_direct_xip_refuses_unmapped_secondary() -> None:
    with pytest.raises(LayoutError, match="direct-xip: secondary flash mx25r64 is not memory-mapped"):
        plan_layout(PlanRequest((NRF52, MX25), M.DIRECT_XIP, secondary_flash="mx25r64"))


def test_move_refuses_external_with_other_sector_size() -> None:
    big = FlashGeometry("ext", 0x800000, 0x10000, 1, external=True)
    with pytest.raises(LayoutError) as exc:
        plan_layout(PlanRequest((NRF52, big), M.SWAP_USING_MOVE, secondary_flash="ext"))
    assert str(exc.value).startswith("swap-using-move: secondary flash ext sectors are 0x10000, "
                                     "the primary's 0x1000")


def test_too_small_flash() -> None:
    tiny = FlashGeometry("tiny", 0x10000, 0x1000, 4)
    with pytest.raises(LayoutError) as exc:
        plan_layout(PlanRequest((tiny,), M.SWAP_USING_MOVE, storage_size=0))
    assert str(exc.value) == ("tiny: 4 sectors of 0x1000 are too few for 1 image pair(s) in "
                              "swap-using-move")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"images": 0}, "--images: expected 1 to 4 image pairs, got 0"),
    ({"signature": "dsa"}, "--signature: expected one of none, ed25519, ecdsa-p256, ecdsa-p384, "
                           "rsa-2048, rsa-3072, got dsa"),
    ({"storage_size": -1}, "--storage-size: expected a size >= 0, got -1"),
    ({"secondary_flash": "nope"}, "--secondary-flash: no flash nope; known: flash0"),
])
def test_bad_plan_requests(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as exc:
        PlanRequest((NRF52,), M.SWAP_USING_MOVE, **kwargs)  # type: ignore[arg-type]
    assert str(exc.value) == message


def test_scratch_size_only_for_scratch() -> None:
    with pytest.raises(UsageError, match="--scratch-size: mode swap-using-move has no scratch"):
        plan_layout(PlanRequest((NRF52,), M.SWAP_USING_MOVE, scratch_size=0x2000))
