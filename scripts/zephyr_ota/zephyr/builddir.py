"""Read a Zephyr build directory (sysbuild or single-image) into typed,
frozen records whose values carry their ``Source``.

Entry point: ``read_build_dir(path="build", geometry=None) -> BuildDir``.

Layout read (sysbuild): ``<build>/domains.yaml``; ``<build>/zephyr/.config``
(SB_CONFIG_*); per domain ``<domain>/zephyr/.config``, ``zephyr.dts``,
``zephyr.elf`` else ``zephyr.hex`` (named by CONFIG_KERNEL_BIN_NAME),
``<domain>/CMakeCache.txt``; the ``mcuboot`` domain's ``.config`` and
``zephyr.hex``/``zephyr.elf``; ``<build>/build_info.yml`` or the default
domain's. Single-image: ``<build>/zephyr/...`` is the application.

Image numbers: the default domain is image 0; other application domains
follow in ``flash_order`` (else file order), skipping ``mcuboot``. This is
an assumption about sysbuild multi-image builds (e.g. nRF5340 net core as
image 1), documented rather than read, since no file names the index.

Direct-xip slot1 variants are not images of their own: they are the same
application linked for ``slot1_partition`` (the ``slot1-partition``
snippet), kept in ``BuildDir.variants`` with their base image's index.
Zephyr 4.4 sysbuild (SB_CONFIG_MCUBOOT_DIRECT_XIP_GENERATE_VARIANT, zephyr
PR #101938) names them ``<image>_slot1_variant``; the nRF Connect SDK
(SB_CONFIG_MCUBOOT_BUILD_DIRECT_XIP_VARIANT) ``mcuboot_secondary_app`` for
the default image and ``<image>_secondary_app`` for the others.
``chosen_ram_address(dts)`` gives the RAM-load address Zephyr passes to
imgtool (``--load-addr``) in ram-load mode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from zephyr_ota.errors import InputError
from zephyr_ota.layout.model import Partition
from zephyr_ota.zephyr.configs import (
    AppOptions,
    McubootConfig,
    McubootPaths,
    PathContext,
    SysbuildConfig,
    app_options,
    mcuboot_config,
    sysbuild_config,
)
from zephyr_ota.zephyr.devicetree import DevicetreeInfo, image_pairs, load_devicetree
from zephyr_ota.zephyr.domains import (
    BuildInfo,
    Domains,
    load_build_info,
    load_cmake_cache,
    load_domains,
)
from zephyr_ota.zephyr.geometry_yaml import GeometryFile
from zephyr_ota.zephyr.kconfig import KconfigFile, load_config

log = logging.getLogger(__name__)
MCUBOOT_DOMAIN = "mcuboot"
# Direct-xip slot1 variant domains (see the module docstring).
VARIANT_SUFFIXES = ("_slot1_variant", "_secondary_app")
NCS_DEFAULT_VARIANT = "mcuboot_secondary_app"


@dataclass(frozen=True)
class AppImage:
    """One application image to be signed."""

    domain: str
    image_index: int
    build_dir: Path                      # the domain's build folder
    config: KconfigFile
    options: AppOptions
    devicetree: DevicetreeInfo
    firmware: Path                       # zephyr.elf, else zephyr.hex
    firmware_format: str                 # "elf" | "hex"
    hex_path: Path | None
    source_dir: Path | None              # APPLICATION_SOURCE_DIR
    board: str | None                    # CMakeCache BOARD

    @property
    def zephyr_dir(self) -> Path:
        return self.build_dir / "zephyr"


@dataclass(frozen=True)
class BuildDir:
    path: Path
    sysbuild: bool
    default_domain: str
    apps: tuple[AppImage, ...]
    mcuboot: McubootConfig | None
    mcuboot_devicetree: DevicetreeInfo | None
    sysbuild_config: SysbuildConfig | None
    info: BuildInfo
    domains: Domains | None = None
    variants: tuple[AppImage, ...] = ()      # direct-xip slot1 builds, by base image index

    def variant(self, image_index: int) -> AppImage | None:
        """The slot1-linked variant of image ``image_index`` (direct-xip), if built."""
        return next((v for v in self.variants if v.image_index == image_index), None)

    @property
    def app(self) -> AppImage:
        """The default domain's application (image 0)."""
        return self.apps[0]

    def slots(self, image_index: int) -> tuple[Partition, Partition | None] | None:
        """(primary, secondary) of an image from MCUboot's devicetree, else the app's."""
        dts = self.mcuboot_devicetree or self.app.devicetree
        pairs = image_pairs(dts.layout)
        return pairs[image_index] if image_index < len(pairs) else None


def _first(folder: Path, names: tuple[str, ...]) -> Path | None:
    for n in names:
        if (folder / n).is_file():
            return folder / n
    return None


def _cache_path(cache: dict, key: str) -> Path | None:
    return Path(cache[key][0]) if key in cache and cache[key][0] else None


def _app_ctx(cache: dict, info: BuildInfo) -> PathContext:
    # zephyr PR #111814: app key relative to APPLICATION_CONFIG_DIR, then WEST_TOPDIR.
    bases = [p for p in (_cache_path(cache, "APPLICATION_CONFIG_DIR"),
                         _cache_path(cache, "APPLICATION_SOURCE_DIR"),
                         _cache_path(cache, "WEST_TOPDIR"),
                         Path(info.west_topdir) if info.west_topdir else None) if p]
    return PathContext(tuple(dict.fromkeys(bases)), _variables(cache))


def _variables(cache: dict) -> dict[str, str]:
    out = {k: v[0] for k, v in cache.items()
           if k in ("APP_DIR", "ZEPHYR_MCUBOOT_MODULE_DIR", "ZEPHYR_BASE", "WEST_TOPDIR")}
    if "APP_DIR" not in out and "APPLICATION_SOURCE_DIR" in cache:
        out["APP_DIR"] = cache["APPLICATION_SOURCE_DIR"][0]
    return out


def _read_app(domain: str, index: int, folder: Path, info: BuildInfo,
              geometry: GeometryFile | None) -> AppImage:
    zdir = folder / "zephyr"
    if not zdir.is_dir():
        raise InputError(f"{folder}: not a Zephyr build folder (no zephyr/ inside)",
                         hint="give the build directory with -d (west build's default is build)")
    config = load_config(zdir / ".config")
    cache = load_cmake_cache(folder / "CMakeCache.txt")
    opts = app_options(config, _app_ctx(cache, info))
    name = opts.kernel_bin_name.value
    firmware = _first(zdir, (f"{name}.elf", f"{name}.hex"))
    if firmware is None:
        raise InputError(f"{zdir}: no {name}.elf or {name}.hex: build the application first")
    dts = load_devicetree(zdir / "zephyr.dts", geometry=geometry, kconfig=config)
    source = _cache_path(cache, "APPLICATION_SOURCE_DIR")
    board = cache["BOARD"][0] if "BOARD" in cache else info.board
    return AppImage(domain, index, folder, config, opts, dts, firmware,
                    firmware.suffix.lstrip("."), _first(zdir, (f"{name}.hex",)), source, board)


def _read_mcuboot(folder: Path, geometry: GeometryFile | None
                  ) -> tuple[McubootConfig, DevicetreeInfo | None]:
    zdir = folder / "zephyr"
    config = load_config(zdir / ".config")
    cache = load_cmake_cache(folder / "CMakeCache.txt")
    variables = _variables(cache)
    module = _cache_path(cache, "ZEPHYR_MCUBOOT_MODULE_DIR")
    source = _cache_path(cache, "APPLICATION_SOURCE_DIR")      # <mcuboot>/boot/zephyr
    if module is None and source is not None:
        module = source.parent.parent
    conf_dir = _cache_path(cache, "APPLICATION_CONFIG_DIR") or source
    bases = tuple(p for p in (conf_dir, module) if p)
    paths = McubootPaths(folder, _first(zdir, ("zephyr.hex",)), _first(zdir, ("zephyr.elf",)))
    mcfg = mcuboot_config(config, PathContext(bases, variables), paths)
    dts_path = zdir / "zephyr.dts"
    dts = load_devicetree(dts_path, geometry=geometry, kconfig=config) if dts_path.exists() else None
    return mcfg, dts


def variant_base(name: str, domains: Domains) -> str | None:
    """The domain ``name`` is a direct-xip slot1 variant of, else None."""
    if name == NCS_DEFAULT_VARIANT:
        return domains.default
    for suffix in VARIANT_SUFFIXES:
        base = name.removesuffix(suffix)
        if base != name and domains.get(base) is not None:
            return base
    return None


def _app_domains(domains: Domains) -> list[str]:
    names = [d.name for d in domains.domains
             if d.name != MCUBOOT_DOMAIN and variant_base(d.name, domains) is None]
    order = [n for n in domains.flash_order if n in names] + \
        [n for n in names if n not in domains.flash_order]
    return [domains.default] + [n for n in order if n != domains.default]


def _build_info(build: Path, default_dir: Path) -> BuildInfo:
    for candidate in (build / "build_info.yml", default_dir / "build_info.yml"):
        if candidate.exists():
            return load_build_info(candidate)
    return BuildInfo()


def _sysbuild(build: Path, domains: Domains, geometry: GeometryFile | None) -> BuildDir:
    default = domains.get(domains.default)
    assert default is not None  # load_domains checked it
    info = _build_info(build, default.build_dir)
    sb_conf = build / "zephyr" / ".config"
    sb = None
    if sb_conf.exists():
        cache = load_cmake_cache(build / "CMakeCache.txt")
        app_cache = load_cmake_cache(default.build_dir / "CMakeCache.txt")
        variables = {**_variables(app_cache), **_variables(cache)}
        bases = tuple(p for p in (_cache_path(app_cache, "APPLICATION_SOURCE_DIR"),) if p)
        sb = sysbuild_config(load_config(sb_conf), PathContext(bases, variables))
    apps = []
    for index, name in enumerate(_app_domains(domains)):
        dom = domains.get(name)
        assert dom is not None
        apps.append(_read_app(name, index, dom.build_dir, info, geometry))
    mcuboot, mdts = None, None
    mdom = domains.get(MCUBOOT_DOMAIN)
    if mdom is not None:
        mcuboot, mdts = _read_mcuboot(mdom.build_dir, geometry)
    return BuildDir(build, True, domains.default, tuple(apps), mcuboot, mdts, sb, info, domains,
                    _variants(domains, apps, info, geometry))


def _variants(domains: Domains, apps: list[AppImage], info: BuildInfo,
              geometry: GeometryFile | None) -> tuple[AppImage, ...]:
    index = {a.domain: a.image_index for a in apps}
    out = []
    for dom in domains.domains:
        base = variant_base(dom.name, domains)
        if base is not None and base in index:
            out.append(_read_app(dom.name, index[base], dom.build_dir, info, geometry))
    return tuple(out)


def chosen_ram_address(dts_path: str | Path) -> tuple[int, str] | None:
    """(address, source) of the RAM an image is loaded to in ram-load mode: chosen
    ``mcuboot,ram-load-dev`` (nRF Connect SDK) else ``zephyr,sram`` (Zephyr's
    cmake/mcuboot.cmake: ``dt_chosen(chosen_ram PROPERTY "zephyr,sram")``,
    ``--load-addr`` its reg address); None when neither is chosen."""
    from devicetree.dtlib import DTError

    from zephyr_ota.zephyr.devicetree import parse_dts

    dt = parse_dts(dts_path)
    if not dt.has_node("/chosen"):
        return None
    chosen = dt.get_node("/chosen").props
    for name in ("mcuboot,ram-load-dev", "zephyr,sram"):
        if name not in chosen:
            continue
        try:
            node = chosen[name].to_path()
            cells = node.parent.props["#address-cells"].to_num() \
                if node.parent is not None and "#address-cells" in node.parent.props else 1
            nums = node.props["reg"].to_nums()
        except (DTError, KeyError) as e:
            raise InputError(f"{dts_path}: /chosen {name}: expected a node with a reg "
                             f"address, got {e}") from e
        address = 0
        for cell in nums[:cells]:
            address = (address << 32) | cell
        return address, f"{dts_path}: /chosen {name} ({node.path}) reg"
    return None


def read_build_dir(path: str | Path = "build", geometry: GeometryFile | None = None) -> BuildDir:
    """Everything sign-ota needs from a build directory; InputError names missing files."""
    build = Path(path)
    if not build.is_dir():
        raise InputError(f"{build}: build directory not found",
                         hint="run west build first, or give the build directory with -d")
    domains = load_domains(build)
    if domains is not None:
        return _sysbuild(build, domains, geometry)
    info = _build_info(build, build)
    app = _read_app(build.name, 0, build, info, geometry)
    return BuildDir(build, False, build.name, (app,), None, None, None, info)
