"""Every imgtool parameter of every image, resolved with its source.

Entry points: ``resolve_release(request, build, config) -> ReleasePlan``,
``ImagePlan``, ``EncryptionPlan``, ``ReleasePlan``.

Precedence for each value: command-line option, then ota.yml, then the
build directory, then a documented default (``provenance.first_of``).
Build facts (``zephyr.builddir``):

* header size: the application's CONFIG_ROM_START_OFFSET (Zephyr reserves
  exactly the MCUboot header there, modules/Kconfig.mcuboot);
* slot size and sectors: MCUboot's devicetree ``slot<2i>_partition`` /
  ``slot<2i+1>_partition`` for image ``i`` (what the bootloader uses);
* align: the primary flash's ``write-block-size``; max-align
  (BOOT_MAX_ALIGN): 8, or the write block when larger (bootutil_public.h);
* max sectors: MCUboot's CONFIG_BOOT_MAX_IMG_SECTORS, or with
  CONFIG_BOOT_MAX_IMG_SECTORS_AUTO the largest slot's sector count (MCUboot's
  Zephyr port, boot/zephyr/include/sysflash/sysflash.h) — imgtool's default
  128 is never used when the build says otherwise;
* mode: MCUboot's .config, else sysbuild's SB_CONFIG_MCUBOOT_MODE_*, else
  the application's CONFIG_MCUBOOT_BOOTLOADER_MODE_*;
* version: CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION (Zephyr fills its default
  from the application's VERSION file);
* signing key: SB_CONFIG_BOOT_SIGNATURE_KEY_FILE's first entry, else
  MCUboot's / the application's key setting.

Modes that run the image where it lies (``xipram``):

* direct-xip: MCUboot boots the newest valid slot in place, so slot1 needs
  its own build linked for ``slot1_partition`` — sysbuild's variant domain
  (SB_CONFIG_MCUBOOT_DIRECT_XIP_GENERATE_VARIANT); a build without one is
  refused, as is encryption (MCUboot never decrypts in direct-xip);
* ram-load: the load address is the chosen RAM (``--load-addr``) and the
  alignment 1, as Zephyr's cmake/mcuboot.cmake passes them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zephyr_ota.errors import ConfigError, InputError, UnsupportedError, UsageError
from zephyr_ota.image.version import ImageVersion
from zephyr_ota.layout.model import Layout, Partition, UpgradeMode
from zephyr_ota.ops.provenance import Resolved, first_of
from zephyr_ota.ops.requests import SignBuildRequest

log = logging.getLogger(__name__)

# imgtool --align choices; a write block above 32 is not a valid MCUboot setup.
_ALIGNS = (1, 2, 4, 8, 16, 32)
# ota.yml mcuboot.mode uses sysbuild's MCUBOOT_MODE names.
_OTA_MODES = {"swap-using-offset": UpgradeMode.SWAP_USING_OFFSET,
              "swap-using-move": UpgradeMode.SWAP_USING_MOVE,
              "swap-using-scratch": UpgradeMode.SWAP_USING_SCRATCH,
              "overwrite-only": UpgradeMode.OVERWRITE_ONLY,
              "direct-xip": UpgradeMode.DIRECT_XIP, "direct-xip-with-revert": UpgradeMode.DIRECT_XIP,
              "ram-load": UpgradeMode.RAM_LOAD, "firmware-updater": UpgradeMode.FIRMWARE_LOADER}


@dataclass(frozen=True)
class EncryptionPlan:
    """Encryption as MCUboot was built for it."""

    key: Resolved[Path]                  # the device's public key (or its private key file)
    aes_bits: Resolved[int]
    mcuboot_type: str | None             # "RSA" | "EC256" | "X25519" from MCUboot's .config
    save_enctlv: bool = False


@dataclass(frozen=True)
class ImagePlan:
    """One image to sign, with every parameter and where it came from."""

    app: Any                             # zephyr.builddir.AppImage
    layout: Layout                       # MCUboot's view (slots)
    primary: Partition
    secondary: Partition | None
    code_address: int                    # CPU address of the domain's code partition
    header_size: Resolved[int]
    rom_start_offset: Resolved[int]
    rom_end_offset: int
    slot_size: Resolved[int]
    align: Resolved[int]
    max_align: Resolved[int]
    max_sectors: Resolved[int | None]    # None: CONFIG_BOOT_MAX_IMG_SECTORS_AUTO
    mode: Resolved[UpgradeMode]
    version: Resolved[ImageVersion]
    security_counter: Resolved[int | str | None]
    encryption: EncryptionPlan | None
    variant: Any | None = None           # direct-xip: the slot1-linked AppImage
    slot1_address: int | None = None     # CPU address of slot1 (direct-xip, ram-load)
    load_address: Resolved[int] | None = None    # ram-load: where MCUboot copies the image

    @property
    def name(self) -> str:
        return str(self.app.domain)

    @property
    def image_index(self) -> int:
        return int(self.app.image_index)

    def parameters(self) -> tuple[tuple[str, Resolved[object]], ...]:
        """The summary's rows, in order."""
        rows: list[tuple[str, Resolved[Any]]] = [
            ("mode", self.mode), ("header size", self.header_size),
            ("slot size", self.slot_size), ("align", self.align),
            ("max align", self.max_align), ("max sectors", self.max_sectors),
            ("version", self.version), ("security counter", self.security_counter)]
        if self.encryption is not None:
            rows += [("encryption key", self.encryption.key),
                     ("AES key bits", self.encryption.aes_bits)]
        return tuple(rows)


@dataclass(frozen=True)
class ReleasePlan:
    """The whole build: images, keys, and where the outputs go."""

    build: Any                           # zephyr.builddir.BuildDir
    config: Any                          # config.OtaConfig or None
    out_dir: Path
    images: tuple[ImagePlan, ...]
    signing_key: Resolved[str]
    trusted_keys: tuple[tuple[Path, str], ...]   # (file, source) the bootloader trusts
    manifest_key: Resolved[str] | None


def _cfg(config: Any, dotted: str) -> tuple[Any, str]:
    """(value, "ota.yml:LINE") of a dotted ota.yml key; (None, "") when not set."""
    if config is None:
        return None, ""
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None, ""
    return value, config.where(dotted)


def _version_file(path: Path) -> str:
    """Zephyr's VERSION file (VERSION_MAJOR = 1 ...) as imgtool's ``1.2.3+4``."""
    fields = dict(re.findall(r"^\s*([A-Z_]+)\s*=\s*(\d+)\s*$",
                             path.read_text(encoding="utf-8"), re.M))
    try:
        return (f"{fields['VERSION_MAJOR']}.{fields.get('VERSION_MINOR', '0')}."
                f"{fields.get('PATCHLEVEL', '0')}+{fields.get('VERSION_TWEAK', '0')}")
    except KeyError:
        raise InputError(f"{path}: expected VERSION_MAJOR = N, not found") from None


def _version(req: SignBuildRequest, app: Any, config: Any) -> Resolved[ImageVersion]:
    value, where = _cfg(config, "version.value")
    vfile, vwhere = _cfg(config, "version.file")
    opt = app.options.sign_version
    found = first_of("version", (req.overrides.version, "--version"), (value, where),
                     (_version_file(vfile) if vfile else None, vwhere),
                     (opt.value, str(opt.source)))
    assert found is not None  # the .config value always exists (default "0.0.0+0")
    try:
        return Resolved(ImageVersion.parse(str(found.value)), found.source)
    except UsageError as e:  # name where the bad version came from
        raise ConfigError(f"{found.source}: {e}", hint=e.hint) from None


def _counter(req: SignBuildRequest, config: Any) -> Resolved[int | str | None]:
    value, where = _cfg(config, "version.security_counter")
    opt = req.overrides.security_counter
    opt_value: int | str | None = None if opt is None else (opt if opt == "auto" else int(opt, 0))
    found = first_of("security counter", (opt_value, "--security-counter"), (value, where))
    return found if found is not None else Resolved(None, "not set (no security counter TLV)")


def _mode(req: SignBuildRequest, build: Any, app: Any, config: Any) -> Resolved[UpgradeMode]:
    ota_mode, where = _cfg(config, "mcuboot.mode")
    if ota_mode is not None and ota_mode not in _OTA_MODES:
        raise UnsupportedError(f"{where}: mcuboot.mode: {ota_mode} has no secondary slot to "
                               "sign for", hint="sign single-slot builds with `zephyr-ota sign`")
    cands: list[tuple[Any, str]] = [(req.overrides.mode, "--mode"),
                                    (_OTA_MODES.get(ota_mode), where)]
    if build.mcuboot is not None:
        cands.append((build.mcuboot.mode.value, str(build.mcuboot.mode.source)))
    if build.sysbuild_config is not None:
        sb = build.sysbuild_config.mode
        cands.append((sb.value, str(sb.source)))
    cands.append((app.options.mode.value, str(app.options.mode.source)))
    found = first_of("mode", *cands)
    if found is None:
        raise ConfigError(f"{build.path}: MCUboot upgrade mode: expected it in MCUboot's or "
                          "sysbuild's .config, found none", hint="give --mode")
    built = build.mcuboot.mode if build.mcuboot is not None else None
    if built is not None and built.value is not None and built.value != found.value:
        log.warning("%s: mode %s differs from the mode MCUboot was built with (%s: %s); the "
                    "budget follows %s", found.source, found.value.value, built.source,
                    built.value.value, found.value.value)
    return found  # type: ignore[return-value]


def _header(req: SignBuildRequest, app: Any) -> tuple[Resolved[int], Resolved[int]]:
    rom = app.options.rom_start_offset
    rom_start = Resolved(int(rom.value), f"{rom.source}: CONFIG_ROM_START_OFFSET")
    found = first_of("header size", (req.overrides.header_size, "--header-size"),
                     (rom_start.value or None, rom_start.source))
    if found is None:
        raise ConfigError(f"{rom_start.source}: expected the MCUboot header size "
                          "(CONFIG_ROM_START_OFFSET > 0), got 0",
                          hint="build the application with CONFIG_BOOTLOADER_MCUBOOT=y")
    return found, rom_start


def _slots(build: Any, app: Any) -> tuple[Layout, Partition, Partition | None]:
    dts = build.mcuboot_devicetree or app.devicetree
    pair = build.slots(app.image_index)
    if pair is None:
        label = f"slot{2 * app.image_index}_partition"
        raise ConfigError(f"{dts.path}: image {app.image_index} ({app.domain}): expected a "
                          f"{label} partition, found none",
                          hint="MCUboot numbers image N's slots slot<2N>/slot<2N+1>_partition")
    return dts.layout, pair[0], pair[1]


def _part_source(build: Any, app: Any, part: Partition) -> str:
    dts = build.mcuboot_devicetree or app.devicetree
    return f"{dts.path}: {part.label} {part.node_path}".rstrip()


def _code_address(app: Any) -> int:
    """CPU address of the domain's ``zephyr,code-partition`` (where the image runs)."""
    layout = app.devicetree.layout
    label = layout.code_partition
    part = layout.partition(label) if label else None
    if part is None:
        raise ConfigError(f"{app.devicetree.path}: expected a chosen zephyr,code-partition, "
                          "found none")
    if part.address is not None:
        return int(part.address)
    base = layout.flash(part.flash).base_address
    return (base or 0) + part.offset


def _write_block(dts: Any, part: Partition, source: str) -> Resolved[int]:
    flash = dts.layout.flash(part.flash)
    where = dts.flash_sources.get(flash.name, {}).get("write_block")
    return Resolved(flash.write_block, str(where) if where else f"{source}: write-block-size")


def _align(req: SignBuildRequest, wb: Resolved[int]) -> tuple[Resolved[int], Resolved[int]]:
    if wb.value not in _ALIGNS:
        raise ConfigError(f"{wb.source}: expected a write block of 1..32 bytes, got {wb.value}")
    align = first_of("align", (req.overrides.align, "--align"), (wb.value, wb.source))
    boot_max = max(8, wb.value)
    max_align = first_of("max align", (req.overrides.max_align, "--max-align"),
                         (boot_max, f"BOOT_MAX_ALIGN = max(8, write block {wb.value})"))
    assert align is not None and max_align is not None
    return align, max_align  # type: ignore[return-value]


def _max_sectors(req: SignBuildRequest, build: Any) -> Resolved[int | None]:
    if req.overrides.max_sectors is not None:
        return Resolved(req.overrides.max_sectors, "--max-sectors")
    if build.mcuboot is None:
        return Resolved(128, "no MCUboot domain: MCUboot's default 128")
    val = build.mcuboot.max_img_sectors
    if val.value is None:
        return Resolved(None, f"{val.source}: CONFIG_BOOT_MAX_IMG_SECTORS_AUTO")
    return Resolved(int(val.value), f"{val.source}: CONFIG_BOOT_MAX_IMG_SECTORS")


def _encryption(req: SignBuildRequest, build: Any, app: Any,
                config: Any) -> EncryptionPlan | None:
    value, where = _cfg(config, "keys.encryption")
    cands: list[tuple[Any, str]] = [(req.encrypt_key, "-E/--encrypt-key"), (value, where)]
    for ref in (app.options.encryption_key,
                build.sysbuild_config.encryption_key if build.sysbuild_config else None,
                build.mcuboot.encryption_key if build.mcuboot else None):
        if ref is not None:
            cands.append((ref.path, str(ref.source)))
    found = first_of("encryption key", *cands)
    mcu = build.mcuboot
    built = bool(mcu.encrypt.value) if mcu is not None else bool(
        build.sysbuild_config and build.sysbuild_config.encryption.value)
    explicit = req.encrypt_key is not None or value is not None
    if not built:
        if explicit:
            src = mcu.encrypt.source if mcu is not None else build.path
            raise ConfigError(
                f"{found.source if found else '-E'}: encryption requested, but MCUboot was "
                f"built without it ({src}: CONFIG_BOOT_ENCRYPT_IMAGE is not set)",
                hint="drop -E, or rebuild with SB_CONFIG_BOOT_ENCRYPTION=y: a device cannot "
                     "decrypt what its bootloader was not built for")
        return None
    if found is None:
        raise ConfigError(f"{mcu.encrypt.source if mcu else build.path}: MCUboot decrypts "
                          "images (CONFIG_BOOT_ENCRYPT_IMAGE=y), but no encryption key is "
                          "configured", hint="give -E PUBKEY or SB_CONFIG_BOOT_ENCRYPTION_KEY_FILE")
    bits = Resolved(256, f"{mcu.aes256.source}: CONFIG_BOOT_ENCRYPT_ALG_AES_256") \
        if mcu is not None and mcu.aes256.value else Resolved(128, "MCUboot default AES-128")
    return EncryptionPlan(Resolved(Path(found.value), found.source), bits,
                          mcu.encrypt_type.value if mcu else None,
                          bool(mcu.save_enctlv.value) if mcu else False)


def _image(req: SignBuildRequest, build: Any, app: Any, config: Any) -> ImagePlan:
    from zephyr_ota.ops.xipram import mode_specifics

    layout, primary, secondary = _slots(build, app)
    part_src = _part_source(build, app, primary)
    header, rom_start = _header(req, app)
    slot = first_of("slot size", (req.overrides.slot_size, "--slot-size"),
                    (primary.size, f"{part_src} size"))
    dts = build.mcuboot_devicetree or app.devicetree
    align, max_align = _align(req, _write_block(dts, primary, part_src))
    assert slot is not None
    if slot.value != primary.size:
        log.warning("%s: slot size %#x differs from MCUboot's %s (%#x, %s); the bootloader's "
                    "budget follows the partition", slot.source, slot.value, primary.label,
                    primary.size, part_src)
    mode = _mode(req, build, app, config)
    extra = mode_specifics(req, build, app, config, mode)   # refuses what the mode cannot do
    return ImagePlan(
        app=app, layout=layout, primary=primary, secondary=secondary,
        code_address=extra.get("code_address", _code_address(app)), header_size=header,
        rom_start_offset=rom_start, rom_end_offset=int(app.options.rom_end_offset.value or 0),
        slot_size=slot, align=extra.get("align", align), max_align=max_align,
        max_sectors=_max_sectors(req, build), mode=mode, version=_version(req, app, config),
        security_counter=_counter(req, config),
        encryption=_encryption(req, build, app, config),
        variant=extra.get("variant"), slot1_address=extra.get("slot1_address"),
        load_address=extra.get("load_address"))


def signing_key_of(req: SignBuildRequest, build: Any, config: Any) -> Resolved[str]:
    value, where = _cfg(config, "keys.signing")
    cands: list[tuple[Any, str]] = [(req.key, "-k/--key"), (value, where)]
    lists = [build.sysbuild_config.signature_keys if build.sysbuild_config else (),
             build.mcuboot.signature_keys if build.mcuboot else (),
             build.app.options.signature_keys]
    for refs in lists:
        if refs:
            cands.append((str(refs[0].path), f"{refs[0].source}"))
    found = first_of("signing key", *cands)
    if found is None:
        raise ConfigError(f"{build.path}: no signing key: expected -k KEY, keys.signing in "
                          "ota.yml or SB_CONFIG_BOOT_SIGNATURE_KEY_FILE, found none")
    return Resolved(str(found.value), found.source)


def trusted_key_files(req: SignBuildRequest, build: Any) -> tuple[tuple[Path, str], ...]:
    """The key files the bootloader trusts, each with its source."""
    if req.trusted_keys:
        return tuple((p, f"--trusted-key {p}") for p in req.trusted_keys)
    refs: tuple[Any, ...] = ()
    if build.mcuboot is not None and build.mcuboot.signature_keys:
        refs = build.mcuboot.signature_keys
    elif build.sysbuild_config is not None:
        refs = build.sysbuild_config.signature_keys
    return tuple((Path(r.path), f"{r.source} entry {n} ({r.path})")
                 for n, r in enumerate(refs, start=1))


def manifest_key_of(req: SignBuildRequest, config: Any) -> Resolved[str] | None:
    value, where = _cfg(config, "manifest.key")
    return first_of("manifest key", (req.manifest_key, "--manifest-key"),
                    (None if value is None else str(value), where))


def out_dir_of(req: SignBuildRequest, build: Any, config: Any) -> Path:
    value, _ = _cfg(config, "outputs.dir")
    return Path(req.out_dir or value or build.app.zephyr_dir)


def resolve_release(req: SignBuildRequest, build: Any, config: Any) -> ReleasePlan:
    """Resolve every image of ``build``; raises an ``OtaError`` naming the value."""
    if build.mcuboot is None and build.sysbuild:
        log.warning("%s: no mcuboot domain in domains.yaml: the key and mode checks use "
                    "sysbuild's configuration only", build.path)
    images = tuple(_image(req, build, app, config) for app in build.apps)
    return ReleasePlan(build=build, config=config, out_dir=out_dir_of(req, build, config),
                       images=images, signing_key=signing_key_of(req, build, config),
                       trusted_keys=trusted_key_files(req, build), manifest_key=manifest_key_of(req, config))
