"""``--check``: each rule asserted by message, and properties over random plans."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from zephyr_ota.errors import LayoutError, UsageError
from zephyr_ota.layout.budget import Encryption
from zephyr_ota.layout.checks import CheckOptions, Finding, check_layout
from zephyr_ota.layout.model import FlashGeometry, Layout, Partition
from zephyr_ota.layout.model import UpgradeMode as M
from zephyr_ota.layout.planner import PlanRequest, plan_layout

NRF52 = FlashGeometry("flash0", 0x100000, 0x1000, 4, base_address=0)
EXT = FlashGeometry("ext", 0x800000, 0x1000, 1, external=True)


def part(label: str, offset: int, size: int, flash: str = "flash0", **kw: object) -> Partition:
    return Partition(label, offset, size, flash, node_path=f"/p/{label}", **kw)  # type: ignore[arg-type]


def nrf_layout(*parts: Partition, code: str | None = "slot0_partition",
               flashes: tuple[FlashGeometry, ...] = (NRF52,)) -> Layout:
    base = {"boot_partition": part("boot_partition", 0, 0xC000),
            "slot0_partition": part("slot0_partition", 0xC000, 0x76000),
            "slot1_partition": part("slot1_partition", 0x82000, 0x76000),
            "storage_partition": part("storage_partition", 0xF8000, 0x8000)}
    for p in parts:
        base[p.label] = p
    return Layout(flashes, tuple(base.values()), code_partition=code)


def errors(layout: Layout, mode: M = M.SWAP_USING_MOVE, **kw: object) -> list[str]:
    result = check_layout(layout, CheckOptions(mode, **kw))  # type: ignore[arg-type]
    return [str(f) for f in result.errors]


def test_zephyr_default_passes() -> None:
    assert check_layout(nrf_layout(), CheckOptions(M.SWAP_USING_MOVE))
    assert check_layout(nrf_layout(), CheckOptions(M.SWAP_USING_OFFSET))


def test_overlap() -> None:
    assert errors(nrf_layout(part("slot1_partition", 0x81000, 0x76000))) == [
        "/p/slot1_partition: slot1_partition [0x81000, 0xf7000) overlaps slot0_partition "
        "[0xc000, 0x82000) by 0x1000 bytes\n  Fix: start slot1_partition at 0x82000 or shrink "
        "slot0_partition to 0x75000"]


def test_past_end_of_flash() -> None:
    assert errors(nrf_layout(part("storage_partition", 0xF8000, 0x10000))) == [
        "/p/storage_partition: storage_partition [0xf8000, 0x108000) ends past the end of flash0 "
        "(size 0x100000) by 0x8000\n  Fix: shrink it to 0x8000 bytes or move it"]


def test_misaligned() -> None:
    found = errors(nrf_layout(part("storage_partition", 0xF8800, 0x7800)))
    assert found == ["/p/storage_partition: storage_partition start 0xf8800 is not on an "
                     "erase-sector boundary of flash0 (sector 0x1000)\n  Fix: use 0xf8000 or 0xf9000"]


def test_code_partition_must_be_slot0() -> None:
    assert errors(nrf_layout(code=None)) == [
        "/chosen: zephyr,code-partition is nothing, expected slot0_partition\n"
        "  Fix: chosen { zephyr,code-partition = &slot0_partition; };"]


def test_move_shape_current_mcuboot_rejects() -> None:
    # slot1 two sectors larger than slot0: not a shape swap_move.c accepts
    layout = nrf_layout(part("slot0_partition", 0xC000, 0x75000),
                        part("slot1_partition", 0x81000, 0x77000))
    [message] = errors(layout)
    assert message.startswith("/p/slot0_partition: swap-using-move: slots of 117 and 119 sectors "
                              "are refused by MCUboot 2.3 (swap_move.c boot_slots_compatible")
    assert message.endswith("Fix: make slot0 one sector (0x1000) larger than slot1, or both equal")


def test_scratch_missing_small_and_external() -> None:
    assert errors(nrf_layout(), M.SWAP_USING_SCRATCH) == [
        "/: swap-using-scratch needs scratch_partition\n"
        "  Fix: add scratch_partition holding the largest slot sector"]
    layout = nrf_layout(part("slot0_partition", 0xC000, 0x74000),
                        part("slot1_partition", 0x80000, 0x74000, "ext", ),
                        part("scratch_partition", 0x0, 0x1000, "ext"),
                        flashes=(NRF52, EXT))
    layout = replace(layout, partitions=tuple(p if p.label != "slot1_partition"
                                              else replace(p, offset=0x1000) for p in layout.partitions))
    assert errors(layout, M.SWAP_USING_SCRATCH, encryption=Encryption.AES128) == [
        "/p/scratch_partition: scratch_partition is on external flash ext while images are "
        "encrypted: decrypted sectors would leave the chip\n"
        "  Fix: move scratch_partition to internal flash"]


def test_scratch_smaller_than_sector() -> None:
    big = FlashGeometry("flash0", 0x100000, 0x2000, 4)
    layout = nrf_layout(part("slot0_partition", 0xC000, 0x74000),
                        part("slot1_partition", 0x80000, 0x74000),
                        part("scratch_partition", 0x0, 0x1000, "ext"), flashes=(big, EXT))
    found = errors(layout, M.SWAP_USING_SCRATCH)
    assert len(found) == 1
    assert "/p/scratch_partition: scratch_partition holds 0x1000 bytes, image 0 swaps 0x2000 " \
           "at a time\n  Fix: make scratch_partition at least 0x2000 bytes" in found


def test_max_img_sectors_fixed_vs_auto() -> None:
    layout = nrf_layout()
    assert errors(layout, max_img_sectors=64, max_img_sectors_auto=False) == [
        "/p/slot0_partition: primary slot: expected at most CONFIG_BOOT_MAX_IMG_SECTORS=64 "
        "sectors, got 118\n  Fix: set CONFIG_BOOT_MAX_IMG_SECTORS=118 in MCUboot's configuration "
        "(or leave CONFIG_BOOT_MAX_IMG_SECTORS_AUTO=y)"]
    result = check_layout(layout, CheckOptions(M.SWAP_USING_MOVE, max_img_sectors=64))
    assert result  # AUTO overrides the board's fixed value
    assert [f.code for f in result.findings] == ["max-img-sectors"]
    assert result.findings[0].severity == "note"


def test_mapped_without_ranges_from_reader() -> None:
    class DtFinding:
        code = "mapped-partition-without-ranges"
        node_path = "/soc/flash/partitions/partition@0"
        message = ("board.dts: /soc/flash/partitions/partition@0: parent /soc/flash/partitions "
                   "has no 'ranges' property")

    result = check_layout(nrf_layout(), CheckOptions(M.SWAP_USING_MOVE), [DtFinding()])
    assert not result
    assert str(result.errors[0]) == (
        "/soc/flash/partitions/partition@0: parent /soc/flash/partitions has no 'ranges' property\n"
        "  Fix: add 'ranges;' to every parent node up to the root")


def test_finding_str_without_fix() -> None:
    assert str(Finding("x", "/a", "broken")) == "/a: broken"


# ---- properties over random geometries and options -------------------------------------

SECTORS = st.sampled_from([0x400, 0x800, 0x1000, 0x2000, 0x10000, 0x20000])


@st.composite
def geometries(draw: st.DrawFn) -> tuple[FlashGeometry, ...]:
    if draw(st.booleans()):
        sector = draw(SECTORS)
        count = draw(st.integers(min_value=24, max_value=min(1024, 0x1000000 // sector)))
        internal = FlashGeometry("int", sector * count, sector, draw(st.sampled_from([1, 4, 8, 16, 32])),
                                 base_address=0)
    else:   # STM32F4/F7 style: small sectors, one medium, then large ones
        small, large = draw(st.sampled_from([(0x4000, 0x20000), (0x8000, 0x40000)]))
        sectors = (small,) * 4 + (large // 2,) + (large,) * draw(st.integers(5, 15))
        internal = FlashGeometry("int", sum(sectors), large, draw(st.sampled_from([4, 8, 16, 32])),
                                 base_address=0x8000000, sectors=sectors)
    if draw(st.booleans()):
        ext = FlashGeometry("ext", 0x800000, internal.erase_block if draw(st.booleans()) else 0x1000,
                            1, external=True)
        return (internal, ext)
    return (internal,)


@st.composite
def plans(draw: st.DrawFn) -> PlanRequest:
    flashes = draw(geometries())
    mode = draw(st.sampled_from(list(M)))
    secondary = "ext" if len(flashes) > 1 and mode is not M.FIRMWARE_LOADER and draw(st.booleans()) else None
    images = 1 if mode is M.FIRMWARE_LOADER else draw(st.integers(1, 2))
    return PlanRequest(
        flashes, mode, images=images, secondary_flash=secondary,
        storage_size=draw(st.sampled_from([None, 0, 0x4000, 0x10000])),
        signature=draw(st.sampled_from(["ecdsa-p256", "rsa-2048", "ed25519"])),
        encryption=draw(st.sampled_from(list(Encryption))),
        scratch_size=draw(st.sampled_from([None, 0x20000])) if mode is M.SWAP_USING_SCRATCH else None,
        loader_size=draw(st.sampled_from([0, 0x10000])) if mode is M.FIRMWARE_LOADER else 0)


def planned(req: PlanRequest):  # type: ignore[no-untyped-def]
    try:
        return plan_layout(req)
    except (LayoutError, UsageError):
        assume(False)   # too small / incompatible geometry: a refusal, not a bad layout
        raise


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


@PROPS
@given(plans())
def test_planned_layouts_are_sound_and_pass_check(req: PlanRequest) -> None:
    plan = planned(req)
    layout = plan.layout
    for flash in layout.flashes:
        mine = sorted((p for p in layout.partitions if p.flash == flash.name), key=lambda p: p.offset)
        bounds = set(flash.sector_bounds())
        for a, b in zip(mine, mine[1:], strict=False):
            assert a.end <= b.offset, (a, b)
        for p in mine:
            assert p.offset in bounds and p.end in bounds and p.end <= flash.size
    for image, budget in enumerate(plan.budgets):
        assert budget.max_image_size > req.header_size
        p0 = layout.partition(f"slot{2 * image}_partition")
        p1 = layout.partition(f"slot{2 * image + 1}_partition")
        if req.mode is M.FIRMWARE_LOADER:
            continue
        assert p0 is not None and p1 is not None
        if req.mode is M.SWAP_USING_MOVE:
            assert p0.size - p1.size == budget.spare_sector
        elif req.mode is M.SWAP_USING_OFFSET:
            assert p1.size - p0.size == budget.spare_sector
        else:
            assert p0.size == p1.size
    if req.mode is M.SWAP_USING_SCRATCH:
        scratch = layout.partition("scratch_partition")
        assert scratch is not None and not layout.flash(scratch.flash).external
    result = check_layout(layout, CheckOptions(req.mode, encryption=req.encryption))
    assert result, [str(f) for f in result.errors]
    assert [b.max_image_size for b in result.budgets] == [b.max_image_size for b in plan.budgets]


def mutate(layout: Layout, label: str, **changes: int) -> Layout:
    return replace(layout, partitions=tuple(replace(p, **changes) if p.label == label else p
                                            for p in layout.partitions))


@PROPS
@given(plans(), st.sampled_from(["shifted", "overlapping", "misaligned", "shrunk", "past-end"]))
def test_check_rejects_mutations(req: PlanRequest, how: str) -> None:
    plan = planned(req)
    layout = plan.layout
    slot0 = layout.partition("slot0_partition")
    slot1 = layout.partition("slot1_partition")
    boot = layout.partition("boot_partition")
    assert slot0 is not None and boot is not None
    flash = layout.flash(slot0.flash)
    sector = flash.sectors_in(slot0.offset, slot0.end)[0]
    if how == "shifted":          # down by a sector: into MCUboot's partition
        bad = mutate(layout, "slot0_partition", offset=slot0.offset - sector)
    elif how == "overlapping":
        extra = Partition("extra_partition", slot0.offset, sector, slot0.flash)
        bad = replace(layout, partitions=(*layout.partitions, extra))
    elif how == "misaligned":
        bad = mutate(layout, "slot0_partition", offset=slot0.offset + flash.write_block,
                     size=slot0.size - flash.write_block)
    elif how == "shrunk":
        assume(slot1 is not None and req.mode in (M.SWAP_USING_MOVE, M.SWAP_USING_OFFSET,
                                                  M.SWAP_USING_SCRATCH, M.OVERWRITE_ONLY))
        assert slot1 is not None
        # the slot that must not be the smaller one loses a sector
        victim = slot0 if req.mode is M.SWAP_USING_OFFSET else slot1
        bad = mutate(layout, victim.label, size=victim.size - sector)
    else:
        last = max((p for p in layout.partitions if p.flash == flash.name), key=lambda p: p.end)
        bad = mutate(layout, last.label, size=last.size + flash.size)
    result = check_layout(bad, CheckOptions(req.mode, encryption=req.encryption))
    assert not result, how
