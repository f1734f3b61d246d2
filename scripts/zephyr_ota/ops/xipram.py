"""What direct-xip and ram-load change about signing a build.

Entry points: ``ModeExtras``, ``mode_specifics(req, build, app, config, mode)
-> ModeExtras`` (called by ``resolve`` for every image; refuses builds the
mode cannot take), ``slot_cpu_address(layout, partition)``.

The rules, with their sources:

* direct-xip (MCUboot CONFIG_BOOT_DIRECT_XIP; sysbuild
  SB_CONFIG_MCUBOOT_MODE_DIRECT_XIP[_WITH_REVERT]): MCUboot boots the slot
  holding the newest valid image where it lies, so the slot1 image must be
  linked for slot1. Zephyr 4.4 sysbuild builds that image as a variant
  domain when SB_CONFIG_MCUBOOT_DIRECT_XIP_GENERATE_VARIANT=y (zephyr PR
  #101938; ``<image>_slot1_variant``, built with the ``slot1-partition``
  snippet); the nRF Connect SDK calls it ``mcuboot_secondary_app``
  (SB_CONFIG_MCUBOOT_BUILD_DIRECT_XIP_VARIANT). Each image is signed with
  ``--rom-fixed`` at its own code partition's offset (Zephyr's
  cmake/mcuboot.cmake as in sdk-zephyr: ``dt_partition_addr(code_partition)``,
  ``--slot-size`` that partition's size, no ``--pad``), and MCUboot skips an
  image whose ROM_FIXED address is not its slot's flash offset
  (bootutil loader.c ``boot_rom_address_check``: ``ih_load_addr != fa_off``).
  Encryption is refused: MCUboot runs direct-xip images in place and never
  decrypts them (imgtool 2.5.0 ``--encrypt``: "Not supported in direct-xip
  ... mode").
* ram-load (CONFIG_BOOT_RAM_LOAD): MCUboot copies the image, header first,
  to its load address and runs it from there, so the application is linked
  in RAM (sysbuild sets CONFIG_XIP=n, MAIN_image_default.cmake). Zephyr's
  cmake/mcuboot.cmake passes ``--align 1 --load-addr <chosen zephyr,sram>``
  and writes the same image for slot0 and, as ``*.slot1.signed.*``, for slot1
  (``--hex-addr`` of each slot); the nRF Connect SDK prefers a chosen
  ``mcuboot,ram-load-dev``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zephyr_ota.errors import ConfigError, UnsupportedError
from zephyr_ota.layout.model import Layout, Partition, UpgradeMode
from zephyr_ota.ops.provenance import Resolved
from zephyr_ota.ops.requests import SignBuildRequest

# Zephyr's cmake/mcuboot.cmake passes --align 1 in ram-load mode.
RAM_LOAD_ALIGN = Resolved(1, "ram-load: Zephyr's cmake/mcuboot.cmake passes --align 1")


@dataclass(frozen=True)
class ModeExtras:
    """What a mode adds to an ``ImagePlan`` (None: the generic value stands)."""

    code_address: int | None = None      # ram-load: slot0's CPU address (where the file goes)
    align: Resolved[int] | None = None
    variant: Any | None = None           # direct-xip: slot1-linked zephyr.builddir.AppImage
    slot1_address: int | None = None
    load_address: Resolved[int] | None = None

    def get(self, name: str, default: Any = None) -> Any:
        value = getattr(self, name)
        return default if value is None else value


def slot_cpu_address(layout: Layout, part: Partition) -> int:
    """CPU address of ``part`` (flash base + offset when not memory-mapped itself)."""
    if part.address is not None:
        return int(part.address)
    return (layout.flash(part.flash).base_address or 0) + part.offset


def _encryption_sources(req: SignBuildRequest, build: Any, config: Any) -> list[str]:
    from zephyr_ota.ops.resolve import _cfg

    found = []
    if req.encrypt_key is not None:
        found.append("-E/--encrypt-key")
    value, where = _cfg(config, "keys.encryption")
    if value is not None:
        found.append(f"{where}: keys.encryption")
    if build.mcuboot is not None and build.mcuboot.encrypt.value:
        found.append(f"{build.mcuboot.encrypt.source}: CONFIG_BOOT_ENCRYPT_IMAGE")
    sb = build.sysbuild_config
    if sb is not None and sb.encryption.value:
        found.append(f"{sb.encryption.source}: SB_CONFIG_BOOT_ENCRYPTION")
    return found


def _slot1_partition(build: Any, app: Any) -> Partition:
    pair = build.slots(app.image_index)
    assert pair is not None  # resolve._slots checked it
    if pair[1] is None:
        raise ConfigError(f"image {app.image_index} ({app.domain}): direct-xip: expected a "
                          f"slot{2 * app.image_index + 1}_partition, found none")
    return pair[1]


def _variant(build: Any, app: Any, slot1: Partition) -> tuple[Any, int]:
    """The slot1-linked variant of ``app`` and slot1's CPU address; refuses without one."""
    layout = (build.mcuboot_devicetree or app.devicetree).layout
    address = slot_cpu_address(layout, slot1)
    variant = build.variant(app.image_index)
    where = build.domains.path if build.domains is not None else build.path
    if variant is None:
        raise ConfigError(
            f"{where}: direct-xip: image {app.image_index} ({app.domain}) has no build linked "
            f"for {slot1.label} at {address:#x} (sysbuild domain {app.domain}_slot1_variant), "
            f"so slot1 cannot be signed; enable SB_CONFIG_MCUBOOT_DIRECT_XIP_GENERATE_VARIANT=y "
            f"and build again",
            hint="the nRF Connect SDK names it SB_CONFIG_MCUBOOT_BUILD_DIRECT_XIP_VARIANT "
                 "(domain mcuboot_secondary_app)")
    vlayout = variant.devicetree.layout
    label = vlayout.code_partition
    part = vlayout.partition(label) if label else None
    linked = slot_cpu_address(vlayout, part) if part is not None else None
    if linked != address:
        shown = "none" if linked is None else f"{label} at {linked:#x}"
        raise ConfigError(
            f"{variant.devicetree.path}: direct-xip: variant {variant.domain} of image "
            f"{app.image_index}: expected chosen zephyr,code-partition = {slot1.label} at "
            f"{address:#x}, got {shown}",
            hint="build the variant with the slot1-partition snippet (sysbuild does this with "
                 "SB_CONFIG_MCUBOOT_DIRECT_XIP_GENERATE_VARIANT=y)")
    return variant, address


def _ram_load(build: Any, app: Any) -> Resolved[int]:
    from zephyr_ota.zephyr.builddir import chosen_ram_address

    found = None
    if build.mcuboot_devicetree is not None:
        found = chosen_ram_address(build.mcuboot_devicetree.path)
    found = found or chosen_ram_address(app.devicetree.path)
    if found is None:
        raise ConfigError(f"{app.devicetree.path}: ram-load: expected a chosen zephyr,sram "
                          "(the RAM MCUboot loads the image to), found none")
    return Resolved(found[0], found[1])


def mode_specifics(req: SignBuildRequest, build: Any, app: Any, config: Any,
                   mode: Resolved[UpgradeMode]) -> ModeExtras:
    """Direct-xip and ram-load facts for ``app`` (see module doc); empty for other modes."""
    if mode.value is UpgradeMode.DIRECT_XIP:
        sources = _encryption_sources(req, build, config)
        if sources:
            raise UnsupportedError(
                f"{sources[0]}: encryption: MCUboot in direct-xip mode ({mode.source}) runs "
                "images in place and cannot decrypt them; drop the encryption key and "
                "SB_CONFIG_BOOT_ENCRYPTION, or use a swap mode")
        variant, slot1 = _variant(build, app, _slot1_partition(build, app))
        return ModeExtras(variant=variant, slot1_address=slot1)
    if mode.value is UpgradeMode.RAM_LOAD:
        pair = build.slots(app.image_index)
        assert pair is not None
        layout = (build.mcuboot_devicetree or app.devicetree).layout
        alt = slot_cpu_address(layout, pair[1]) if pair[1] is not None else None
        return ModeExtras(code_address=slot_cpu_address(layout, pair[0]), align=RAM_LOAD_ALIGN,
                          slot1_address=alt, load_address=_ram_load(build, app))
    return ModeExtras()
