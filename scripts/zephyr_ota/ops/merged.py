"""Intel HEX outputs: the signed primary image at its slot, and the merged
factory image (MCUboot at its boot partition + the signed application at
slot0), written through ``firmware.ihex.HexWriter``.

Entry points: ``write_image_hex(path, address, data)`` and
``write_merged_hex(path, mcuboot_hex, images)``. The merged image holds
MCUboot and image 0; further images (the nRF5340 network core) run from
another core's flash and keep their own ``<domain>.signed.hex``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from zephyr_ota.errors import InputError, LayoutError
from zephyr_ota.fileio import atomic_writer


def write_image_hex(path: Path, address: int, data: bytes | memoryview) -> None:
    from zephyr_ota.firmware.ihex import write_hex

    with atomic_writer(path) as f:
        write_hex(f, address, [data])


def write_merged_hex(path: Path, mcuboot_hex: Path | None,
                     images: Sequence[tuple[str, int, bytes]]) -> None:
    """MCUboot's segments and ``(name, address, data)`` images in one hex file;
    ``LayoutError`` when any two overlap."""
    from zephyr_ota.firmware import load_firmware
    from zephyr_ota.firmware.ihex import HexWriter

    if mcuboot_hex is None or not Path(mcuboot_hex).is_file():
        raise InputError(f"{mcuboot_hex or 'mcuboot/zephyr/zephyr.hex'}: MCUboot's hex file "
                         "not found: cannot write merged.hex",
                         hint="build with sysbuild (SB_CONFIG_BOOTLOADER_MCUBOOT=y)")
    boot = load_firmware(mcuboot_hex)
    runs = [(s.address, memoryview(s.data), f"MCUboot ({mcuboot_hex})") for s in boot.segments]
    runs += [(address, memoryview(data), name) for name, address, data in images]
    runs.sort(key=lambda r: r[0])
    for (a, da, na), (b, _, nb) in zip(runs, runs[1:], strict=False):
        if a + len(da) > b:
            raise LayoutError(f"merged.hex: {na} [{a:#x}, {a + len(da):#x}) overlaps {nb} "
                              f"starting at {b:#x}")
    with atomic_writer(path) as f:
        writer = HexWriter(f)
        for address, data, _ in runs:
            writer.write(address, [data])
        writer.finish()
