"""The size budget MCUboot enforces, per mode, worked out by hand from bootutil.

Notation in the comments: S slot size, N sectors in a slot, M status sectors
(BOOT_MAX_IMG_SECTORS; AUTO = N), w write size, A = BOOT_MAX_ALIGN = max(8, w),
magic = align_up(16, A), key = align_up(16|32, A).
trailer (bootutil_area.c boot_trailer_sz) = M*states*w + 4A + magic (+A for
offset) + 2*key. Move/offset bound: app_max_size() whole sectors.
scratch/single/overwrite bound: bootutil_misc.c bootutil_max_image_size().
"""

from __future__ import annotations

import pytest

from zephyr_ota.errors import LayoutError, SlotOverflowError, UsageError
from zephyr_ota.layout.budget import (
    Budget,
    BudgetRequest,
    Encryption,
    EncScheme,
    compute_budget,
    trailer_size,
)
from zephyr_ota.layout.model import UpgradeMode as M

K4, K128 = 0x1000, 0x20000
S4 = 0x76000          # nrf52840dk slot0/slot1: 118 x 4 KiB = 483,328
S128 = 0xC0000        # 6 x 128 KiB = 786,432
A128, A256 = Encryption.AES128, Encryption.AES256

SCR, MOV, OFF = M.SWAP_USING_SCRATCH, M.SWAP_USING_MOVE, M.SWAP_USING_OFFSET

# (mode, sector, write, encryption, expected max image size)
TABLE = [
    # ---- 4 KiB sectors, 118-sector slots, M = 118 (AUTO) ----
    # w=4, A=8: status 118*3*4 = 1416; info 32+16 = 48; keys 2*16 = 32 -> trailer 1496
    (SCR, K4, 4, A128, 483_328 - 1496),                 # 481,832
    # AES-256 keys 2*32 = 64 -> trailer 1528
    (SCR, K4, 4, A256, 483_328 - 1528),                 # 481,800
    # move: trailer in 1 sector; 118 - 1 (move) - 1 (trailer) = 116 sectors
    (MOV, K4, 4, A128, 116 * 4096),                     # 475,136
    (MOV, K4, 4, A256, 116 * 4096),
    # offset: status 118*2*4 = 944 + info 48+8 + keys; 1 trailer sector; 118-1-1 = 116 in slot1
    (OFF, K4, 4, A128, 116 * 4096),
    (OFF, K4, 4, A256, 116 * 4096),
    # w=8, A=8: status 118*3*8 = 2832; + 80 (AES-128) = 2912; + 112 (AES-256) = 2944
    (SCR, K4, 8, A128, 483_328 - 2912),                 # 480,416
    (SCR, K4, 8, A256, 483_328 - 2944),                 # 480,384
    (MOV, K4, 8, A128, 116 * 4096),                     # trailer 2912 < 4096: 1 sector
    (MOV, K4, 8, A256, 116 * 4096),
    (OFF, K4, 8, A128, 116 * 4096),                     # 1888 + 56 + 32 < 4096
    (OFF, K4, 8, A256, 116 * 4096),
    # w=16, A=16: status 118*3*16 = 5664; info 64+16 = 80; keys 32 | 64 -> 5776 | 5808
    # scratch: trailer spans 2 sectors, 1680 bytes in the first >= scratch trailer 48+112: no pad
    (SCR, K4, 16, A128, 483_328 - 5776),                # 477,552
    (SCR, K4, 16, A256, 483_328 - 5808),                # 477,520
    # move: trailer needs 2 sectors -> 118 - 1 - 2 = 115
    (MOV, K4, 16, A128, 115 * 4096),                    # 471,040
    (MOV, K4, 16, A256, 115 * 4096),
    # offset: 118*2*16 = 3776 + 80+16 + 32 = 3904 (AES-256: 3936) -> 1 sector -> 116
    (OFF, K4, 16, A128, 116 * 4096),
    (OFF, K4, 16, A256, 116 * 4096),
    # w=32, A=32: status 118*3*32 = 11,328; info 128+32 = 160; keys 2*32 = 64 either AES -> 11,552
    # scratch: 3 trailer sectors, 3360 bytes in the first >= scratch trailer 96+224: no pad
    (SCR, K4, 32, A128, 483_328 - 11_552),              # 471,776
    (SCR, K4, 32, A256, 483_328 - 11_552),
    # move: 3 trailer sectors -> 118 - 1 - 3 = 114
    (MOV, K4, 32, A128, 114 * 4096),                    # 466,944
    (MOV, K4, 32, A256, 114 * 4096),
    # offset: 118*2*32 = 7552 + 160+32 + 64 = 7808 -> 2 sectors -> 118 - 1 - 2 = 115
    (OFF, K4, 32, A128, 115 * 4096),                    # 471,040
    (OFF, K4, 32, A256, 115 * 4096),
    # ---- 128 KiB sectors, 6-sector slots, M = 6 (AUTO) ----
    # w=4: status 6*3*4 = 72 + 48 + 32|64 -> 152 | 184
    (SCR, K128, 4, A128, 786_432 - 152),                # 786,280
    (SCR, K128, 4, A256, 786_432 - 184),                # 786,248
    # move: 6 - 1 - 1 = 4 sectors
    (MOV, K128, 4, A128, 4 * K128),                     # 524,288
    (MOV, K128, 4, A256, 4 * K128),
    # offset: 6 - 1 - 1 = 4 sectors in slot1
    (OFF, K128, 4, A128, 4 * K128),
    (OFF, K128, 4, A256, 4 * K128),
    # w=8: status 144 -> 224 | 256
    (SCR, K128, 8, A128, 786_432 - 224),                # 786,208
    (SCR, K128, 8, A256, 786_432 - 256),                # 786,176
    (MOV, K128, 8, A128, 4 * K128),
    (MOV, K128, 8, A256, 4 * K128),
    (OFF, K128, 8, A128, 4 * K128),
    (OFF, K128, 8, A256, 4 * K128),
    # w=16, A=16: status 288 + 80 + 32|64 -> 400 | 432
    (SCR, K128, 16, A128, 786_432 - 400),               # 786,032
    (SCR, K128, 16, A256, 786_432 - 432),               # 786,000
    (MOV, K128, 16, A128, 4 * K128),
    (MOV, K128, 16, A256, 4 * K128),
    (OFF, K128, 16, A128, 4 * K128),
    (OFF, K128, 16, A256, 4 * K128),
    # w=32, A=32: status 576 + 160 + 64 = 800 either AES
    (SCR, K128, 32, A128, 786_432 - 800),               # 785,632
    (SCR, K128, 32, A256, 786_432 - 800),
    # mcuboot#1845: swap-using-move, 128 KiB sectors, write 32 -> 4 sectors = 524,288,
    # while imgtool --pad accepts 786,432 - 736 = 785,696 (see test_mcuboot_1845_refused)
    (MOV, K128, 32, A128, 4 * K128),
    (MOV, K128, 32, A256, 4 * K128),
    (OFF, K128, 32, A128, 4 * K128),
    (OFF, K128, 32, A256, 4 * K128),
]


@pytest.mark.parametrize(("mode", "sector", "write", "enc", "expected"), TABLE,
                         ids=[f"{r[0].value}-{r[1] // 1024}K-w{r[2]}-{r[3].value}" for r in TABLE])
def test_budget_table(mode: M, sector: int, write: int, enc: Encryption, expected: int) -> None:
    slot = S4 if sector == K4 else S128
    budget = compute_budget(BudgetRequest.uniform(mode, slot, sector, write_block=write,
                                                  encryption=enc))
    assert budget.max_image_size == expected
    assert budget.max_image_size <= budget.imgtool_max_image_size or enc is A256


# Modes that never swap: the bound is boot_swap_info_off() (bootutil_public.c):
# magic at S - magic, image_ok at align_down(S - magic - A, A), copy_done and
# swap_info one A-field each below -> S - magic - 3A. Encryption does not move it.
# firmware-loader: boot_status_off() = S - info (no status entries).
OTHER = [
    (M.OVERWRITE_ONLY, 4, Encryption.NONE, S4 - (16 + 3 * 8)),      # 483,288
    (M.OVERWRITE_ONLY, 16, Encryption.NONE, S4 - (16 + 3 * 16)),    # 483,264
    (M.OVERWRITE_ONLY, 32, A256, S4 - (32 + 3 * 32)),               # 483,200
    (M.DIRECT_XIP, 4, Encryption.NONE, S4 - 40),
    (M.DIRECT_XIP, 32, Encryption.NONE, S4 - 128),
    (M.RAM_LOAD, 8, A128, S4 - 40),
    (M.RAM_LOAD, 16, Encryption.NONE, S4 - 64),
    (M.FIRMWARE_LOADER, 4, Encryption.NONE, S4 - 48),               # 4*8 + 16
    (M.FIRMWARE_LOADER, 4, A128, S4 - 80),                          # + 2*16
    (M.FIRMWARE_LOADER, 32, A256, S4 - 224),                        # 4*32 + 32 + 2*32
]


@pytest.mark.parametrize(("mode", "write", "enc", "expected"), OTHER,
                         ids=[f"{r[0].value}-w{r[1]}-{r[2].value}" for r in OTHER])
def test_budget_other_modes(mode: M, write: int, enc: Encryption, expected: int) -> None:
    budget = compute_budget(BudgetRequest.uniform(mode, S4, K4, write_block=write, encryption=enc))
    assert budget.max_image_size == expected


def test_nrf52840dk_vector_issue_8() -> None:
    """Zephyr's nrf52840dk: equal slots of 0x76000, 118 x 4 KiB, write-block 4."""
    for mode in (MOV, OFF):
        budget = compute_budget(BudgetRequest.uniform(mode, 0x76000, 0x1000, write_block=4))
        assert budget.max_image_size == 475_136
        assert budget.spare_sector == 0x1000
        assert budget.trailer_sectors == 1
        assert budget.secondary_image_offset == (0x1000 if mode is OFF else 0)
    # swap-using-scratch: slot - trailer(118*3*4 + 48) = 483,328 - 1464
    assert compute_budget(BudgetRequest.uniform(SCR, 0x76000, 0x1000)).max_image_size == 481_864


def test_optimal_shapes_gain_a_sector() -> None:
    # move with slot0 one sector larger: 119 - 1 - 1 = 117 sectors
    req = BudgetRequest.uniform(MOV, 0x77000, 0x1000, secondary_size=0x76000)
    assert compute_budget(req).max_image_size == 117 * 4096
    # offset with slot1 one sector larger: min(118 - 1, 119 - 1 - 1) = 117
    req = BudgetRequest.uniform(OFF, 0x76000, 0x1000, secondary_size=0x77000)
    assert compute_budget(req).max_image_size == 117 * 4096


def test_mcuboot_1845_refused() -> None:
    """swap-using-move, 128 KiB sectors, write 32: imgtool accepts an image the
    bootloader later cannot swap; we refuse it before anything is written."""
    budget = compute_budget(BudgetRequest.uniform(MOV, S128, K128, write_block=32))
    # imgtool -M 6 --align 32 --max-align 32: 6*3*32 + 4*32 + 32 = 736
    assert budget.imgtool_max_image_size == 786_432 - 736
    assert budget.max_image_size == 524_288
    with pytest.raises(SlotOverflowError) as exc:
        budget.require_fits(budget.imgtool_max_image_size, "zephyr.signed.bin")
    assert str(exc.value) == (
        "zephyr.signed.bin: expected at most 524288 bytes (header + code + TLVs) for "
        "swap-using-move in a 0xc0000-byte slot, got 785696 (261408 too many)")
    assert exc.value.hint is not None and "mcu-tools/mcuboot#1845" in exc.value.hint
    budget.require_fits(524_288)


def test_scratch_padding_when_trailer_spills() -> None:
    # 171 x 4 KiB, w=8, M=171: trailer 171*3*8 + 48 = 4152 spans 2 sectors with only
    # 56 bytes in the first; the scratch trailer (1*3*8 + 48 = 72) needs 16 bytes padding.
    req = BudgetRequest.uniform(SCR, 171 * 4096, 4096, write_block=8)
    budget = compute_budget(req)
    assert budget.trailer_size == 4152
    assert budget.trailer_padding == 16
    assert budget.max_image_size == 171 * 4096 - 4152 - 16


def test_save_enctlv_sizes() -> None:
    # ECIES-P256 AES-128 TLV: 65 + 32 + 16 = 113 -> align_up(113, 8) = 120 per key field
    req = BudgetRequest.uniform(SCR, S4, K4, encryption=A128, save_enctlv=True)
    assert trailer_size(req) == 1416 + 48 + 2 * 120
    # RSA-OAEP: 256 bytes per field; AES-KW AES-256: 40
    req = BudgetRequest.uniform(SCR, S4, K4, encryption=A256, save_enctlv=True,
                                enc_scheme=EncScheme.RSA_OAEP)
    assert trailer_size(req) == 1416 + 48 + 2 * 256
    req = BudgetRequest.uniform(SCR, S4, K4, encryption=A256, save_enctlv=True,
                                enc_scheme=EncScheme.AES_KW)
    assert trailer_size(req) == 1416 + 48 + 2 * 40


def test_aes256_imgtool_underestimates_key_fields() -> None:
    """imgtool 2.5.0 sizes key fields for 16-byte keys; MCUboot stores 32 for AES-256."""
    budget = compute_budget(BudgetRequest.uniform(SCR, S4, K4, encryption=A256))
    assert budget.imgtool_max_image_size - budget.max_image_size == 2 * 16
    assert any("imgtool --pad would accept" in n for n in budget.notes)


def test_max_img_sectors_too_small_refused() -> None:
    req = BudgetRequest.uniform(SCR, S4, K4, max_img_sectors=64)
    with pytest.raises(LayoutError) as exc:
        compute_budget(req)
    assert str(exc.value) == ("primary slot: expected at most CONFIG_BOOT_MAX_IMG_SECTORS=64 "
                              "sectors, got 118")


def test_explicit_max_img_sectors_grows_trailer() -> None:
    # M=128 (Zephyr's fixed default): 128*3*4 + 48 = 1584 -> same as imgtool's default
    budget = compute_budget(BudgetRequest.uniform(SCR, S4, K4, max_img_sectors=128))
    assert budget.max_image_size == S4 - 1584 == budget.imgtool_max_image_size
    assert not any("AUTO" in n for n in budget.notes)


def test_move_shape_refused() -> None:
    req = BudgetRequest.uniform(MOV, 0x76000, K4, secondary_size=0x78000)
    with pytest.raises(LayoutError) as exc:
        compute_budget(req)
    assert "refused by MCUboot 2.3" in str(exc.value)
    assert "Cannot upgrade: not a compatible amount of sectors" in str(exc.value)


def test_move_mixed_sectors_refused() -> None:
    req = BudgetRequest(MOV, (0x4000,) * 4 + (0x10000,), (0x4000,) * 4 + (0x10000,))
    with pytest.raises(LayoutError, match="expected one sector size in both slots"):
        compute_budget(req)


def test_scratch_mixed_sectors_accepted() -> None:
    # STM32F4-style slots made of 128 KiB sectors on one side, 2 x 64 KiB on the other
    req = BudgetRequest(SCR, (0x20000,) * 2, (0x10000,) * 4, max_img_sectors=8)
    budget = compute_budget(req)
    # trailer 8*3*4 + 48 = 144; no padding (scratch trailer 60 <= 144)
    assert budget.max_image_size == 0x40000 - 144


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"write_block": 3}, "budget: write_block: expected a power of two up to 32, got 3"),
    ({"write_block": 64}, "budget: write_block: expected a power of two up to 32, got 64"),
    ({"max_align": 12}, "budget: max_align: expected 8, 16 or 32, got 12"),
    ({"write_block": 16, "max_align": 8}, "budget: max_align 8 is smaller than the write block 16"),
    ({"save_enctlv": True}, "budget: save_enctlv needs encryption"),
    ({"max_img_sectors": 0}, "budget: max_img_sectors: expected a positive count, got 0"),
    ({"header_size": 0x10}, "budget: header_size: expected >= 32 and a multiple of 4, got 0x10"),
])
def test_bad_requests(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as exc:
        BudgetRequest.uniform(SCR, S4, K4, **kwargs)  # type: ignore[arg-type]
    assert str(exc.value) == message


def test_describe_and_bool() -> None:
    budget = compute_budget(BudgetRequest.uniform(MOV, S4, K4))
    assert isinstance(budget, Budget) and budget
    text = "\n".join(budget.describe())
    assert "spare sector in the primary slot: 4096 bytes" in text
    assert "max image (header + code + TLVs): 475136 bytes" in text
    assert budget.bytes_left(475_000) == 136
    assert budget.max_code_size == 475_136 - 0x200
