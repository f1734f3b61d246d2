"""The Kconfig values that must go with a partition layout, per MCUboot mode.

Entry points: ``KconfigValues`` (three lists of ``(symbol, value)``: MCUboot's
image, the application, sysbuild) and ``kconfig_for(mode, images,
max_img_sectors, header_size, rom_end_offset, encrypted)``.

Symbols: MCUboot's boot/zephyr/Kconfig (``BOOT_SWAP_USING_MOVE`` ...), the
application's modules/Kconfig.mcuboot (``MCUBOOT_BOOTLOADER_MODE_*``, which
Zephyr checks against the devicetree), and sysbuild's
share/sysbuild/images/bootloader/Kconfig (``SB_CONFIG_MCUBOOT_MODE_*``,
which sets the other two in a sysbuild build).
"""

from __future__ import annotations

from dataclasses import dataclass

from zephyr_ota.layout.model import UpgradeMode

# mode -> (MCUboot symbol, application symbol suffix, sysbuild symbol suffix)
MODE_SYMBOLS = {
    UpgradeMode.SWAP_USING_SCRATCH: ("BOOT_SWAP_USING_SCRATCH", "SWAP_SCRATCH", "SWAP_SCRATCH"),
    UpgradeMode.SWAP_USING_MOVE: ("BOOT_SWAP_USING_MOVE", "SWAP_USING_MOVE", "SWAP_USING_MOVE"),
    UpgradeMode.SWAP_USING_OFFSET: ("BOOT_SWAP_USING_OFFSET", "SWAP_USING_OFFSET",
                                    "SWAP_USING_OFFSET"),
    UpgradeMode.OVERWRITE_ONLY: ("BOOT_UPGRADE_ONLY", "OVERWRITE_ONLY", "OVERWRITE_ONLY"),
    UpgradeMode.DIRECT_XIP: ("BOOT_DIRECT_XIP", "DIRECT_XIP", "DIRECT_XIP"),
    UpgradeMode.RAM_LOAD: ("BOOT_RAM_LOAD", "RAM_LOAD", "RAM_LOAD"),
    UpgradeMode.FIRMWARE_LOADER: ("BOOT_FIRMWARE_LOADER", "FIRMWARE_UPDATER", "FIRMWARE_UPDATER"),
}


@dataclass(frozen=True)
class KconfigValues:
    """``(symbol, value)`` pairs; values are written as Kconfig writes them (``y``, ``0x200``)."""

    mcuboot: tuple[tuple[str, str], ...]
    app: tuple[tuple[str, str], ...]
    sysbuild: tuple[tuple[str, str], ...]

    def lines(self, which: str) -> list[str]:
        """``CONFIG_X=y`` lines of ``which`` (mcuboot, app or sysbuild)."""
        prefix = "SB_CONFIG_" if which == "sysbuild" else "CONFIG_"
        return [f"{prefix}{k}={v}" for k, v in getattr(self, which)]


@dataclass(frozen=True)
class KconfigInputs:
    mode: UpgradeMode
    images: int = 1
    max_img_sectors: int | None = None     # None: CONFIG_BOOT_MAX_IMG_SECTORS_AUTO
    header_size: int = 0x200
    rom_end_offset: int | None = None      # slot size - max image size, for the app's linker
    encrypted: bool = False
    single_slot: bool = False              # firmware-loader without a loader slot: single app
    aes256: bool = False                   # AES-256 image encryption


def kconfig_for(inp: KconfigInputs) -> KconfigValues:
    """The values a layout for ``inp.mode`` needs in each image's configuration."""
    boot_sym, app_suffix, sb_suffix = MODE_SYMBOLS[inp.mode]
    if inp.single_slot:
        boot_sym, app_suffix, sb_suffix = "SINGLE_APPLICATION_SLOT", "SINGLE_APP", "SINGLE_APP"
    mcuboot: list[tuple[str, str]] = [(boot_sym, "y")]
    if inp.max_img_sectors is None:
        mcuboot.append(("BOOT_MAX_IMG_SECTORS_AUTO", "y"))
    else:
        # AUTO (default y) would override a fixed count (MCUboot boot/zephyr/Kconfig)
        mcuboot += [("BOOT_MAX_IMG_SECTORS_AUTO", "n"),
                    ("BOOT_MAX_IMG_SECTORS", str(inp.max_img_sectors))]
    if inp.images > 1:
        mcuboot.append(("UPDATEABLE_IMAGE_NUMBER", str(inp.images)))
    if inp.encrypted:
        mcuboot.append(("BOOT_ENCRYPT_IMAGE", "y"))
        if inp.aes256:
            mcuboot.append(("BOOT_ENCRYPT_ALG_AES_256", "y"))
    app: list[tuple[str, str]] = [("BOOTLOADER_MCUBOOT", "y"),
                                  (f"MCUBOOT_BOOTLOADER_MODE_{app_suffix}", "y"),
                                  ("ROM_START_OFFSET", hex(inp.header_size))]
    if inp.rom_end_offset is not None:
        app.append(("ROM_END_OFFSET", hex(inp.rom_end_offset)))
    sysbuild: list[tuple[str, str]] = [("BOOTLOADER_MCUBOOT", "y"),
                                       (f"MCUBOOT_MODE_{sb_suffix}", "y")]
    if inp.images > 1:
        sysbuild.append(("MCUBOOT_UPDATEABLE_IMAGES", str(inp.images)))
    if inp.encrypted:
        sysbuild.append(("BOOT_ENCRYPTION", "y"))
    return KconfigValues(tuple(mcuboot), tuple(app), tuple(sysbuild))
