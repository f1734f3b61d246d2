"""Assemble a sysbuild build directory for the demo, without a Zephyr tree.

What `west build --sysbuild -b nrf52840dk/nrf52840 sample-app` leaves for
zephyr-ota to read, written from the demo's inputs: ``domains.yaml`` (as
share/sysbuild/cmake/domains.cmake writes it), sysbuild's ``zephyr/.config``,
per image ``zephyr/.config`` (what sysbuild sets in the image, with the
layout's Kconfig fragment merged in last, as Kconfig merges fragments),
``zephyr/zephyr.dts`` (the board devicetree with the layout's overlay
applied, as Zephyr's dtlib prints the final tree), ``zephyr/zephyr.hex`` and
``CMakeCache.txt``, and ``build_info.yml``.

Two stand-ins, both named in the demo's output:
- The application firmware is the real Zephyr 4.4.0 ``hci_usb`` build for
  nrf52840dk from PyPI. It was built without MCUboot, so it is linked at
  0x0; it is placed where a sysbuild build puts the application -- at the
  primary slot, after CONFIG_ROM_START_OFFSET zero bytes for the MCUboot
  header (Zephyr's zephyr.bin carries that gap; imgtool and zephyr-ota fill
  it with the header). The signed images hold its real bytes; they would not
  boot, since its vector table points below the slot.
- MCUboot: no MCUboot binary is bundled, so ``mcuboot/zephyr/zephyr.hex`` is
  a minimal Cortex-M image (initial stack pointer, a reset vector to a
  branch-to-self loop) inside the boot partition, so that merged.hex has
  something at 0x0. Its ``.config`` says what a real MCUboot build would.

Entry points: ``LayoutFiles`` (what `zephyr-ota layout` wrote), ``DemoBuild``
(the inputs), ``assemble(DemoBuild) -> Path``; ``read_ihex``/``ihex`` (a
minimal Intel HEX reader and writer, so the demo needs nothing beyond
zephyr-ota's own dependencies).
"""

from __future__ import annotations

import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APP = "sample-app"
MCUBOOT = "mcuboot"
BOARD, QUALIFIERS = "nrf52840dk", "nrf52840"
ZEPHYR_VERSION = "4.4.0"       # the PyPI firmware's Zephyr release
SRAM_END = 0x20040000          # nRF52840: 256 KiB RAM at 0x20000000


@dataclass(frozen=True)
class LayoutFiles:
    """What `zephyr-ota layout` wrote: two overlays and three Kconfig fragments."""

    app_overlay: Path          # boards/<board>.overlay
    mcuboot_overlay: Path      # MCUboot's overlay
    app_fragment: Path         # ota-layout.conf (CONFIG_ROM_START_OFFSET, mode)
    mcuboot_fragment: Path     # sysbuild/mcuboot.conf (mode, sector count)
    sysbuild_fragment: Path    # sysbuild.conf (SB_CONFIG_MCUBOOT_MODE_*)

    def __post_init__(self) -> None:
        for name in ("app_overlay", "mcuboot_overlay", "app_fragment", "mcuboot_fragment",
                     "sysbuild_fragment"):
            if not getattr(self, name).is_file():
                raise FileNotFoundError(f"{name}: {getattr(self, name)}: no such file")


@dataclass(frozen=True)
class DemoBuild:
    """Inputs of one demo build directory."""

    out: Path                  # the build directory to write
    board_dts: Path            # the board's final devicetree, before overlays
    layout: LayoutFiles        # the layout to apply
    keys_dir: Path             # `zephyr-ota keys init` output
    firmware_hex: Path         # the application firmware (linked at 0x0)
    app_source: Path           # sample-app/
    version: str               # "1.0.0+0"

    def __post_init__(self) -> None:
        for what in ("board_dts", "firmware_hex"):
            if not getattr(self, what).is_file():
                raise FileNotFoundError(f"{what}: {getattr(self, what)}: no such file")


def fragment(path: Path) -> dict[str, object]:
    """The ``CONFIG_X=value`` lines of a Kconfig fragment (y -> True, numbers -> int)."""
    values: dict[str, object] = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if not sep or name.startswith("#"):
            continue
        if value == "y":
            values[name] = True
        elif value.startswith('"'):
            values[name] = value.strip('"')
        else:
            values[name] = int(value, 0)
    return values


def merged_devicetree(board_dts: Path, overlay: Path) -> Any:
    """The board devicetree with an overlay applied, parsed by Zephyr's dtlib (a ``dtlib.DT``)."""
    from devicetree import dtlib

    text = board_dts.read_text() + "\n" + overlay.read_text()
    with tempfile.TemporaryDirectory() as tmp:
        merged = Path(tmp) / "merged.dts"
        merged.write_text(text)
        return dtlib.DT(str(merged))


def partition(dt: Any, label: str) -> tuple[int, int]:
    """(offset, size) of the partition with a devicetree label."""
    node = dt.label2node[label]
    offset, size = struct.unpack(">II", node.props["reg"].value)
    return offset, size


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def kconfig(lines: dict[str, object]) -> str:
    """A Zephyr .config: strings quoted, booleans as y."""
    out = ["# Generated by the zephyr-ota demo (sample-app/demo/builddir.py)"]
    for name, value in lines.items():
        if value is True:
            out.append(f"{name}=y")
        elif isinstance(value, int):
            out.append(f"{name}={value:#x}" if value > 9 else f"{name}={value}")
        else:
            out.append(f'{name}="{value}"')
    return "\n".join(out) + "\n"


def sysbuild_config(req: DemoBuild) -> str:
    return kconfig({**fragment(req.layout.sysbuild_fragment), **{
        "SB_CONFIG_BOOTLOADER_MCUBOOT": True,
        "SB_CONFIG_MCUBOOT_MODE_SWAP_USING_OFFSET": True,
        "SB_CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256": True,
        "SB_CONFIG_SIGNATURE_TYPE": "ECDSA_P256",
        "SB_CONFIG_BOOT_SIGNATURE_KEY_FILE": str(req.keys_dir / "signing.pem"),
        "SB_CONFIG_BOOT_ENCRYPTION": True,
        "SB_CONFIG_BOOT_ENCRYPTION_KEY_FILE": str(req.keys_dir / "encryption.pem"),
        "SB_CONFIG_ZEPHYR_OTA_SIGN": True,
        "SB_CONFIG_ZEPHYR_OTA_VERIFY": True,
    }})


def app_config(req: DemoBuild, slot0: tuple[int, int]) -> dict[str, object]:
    # What sysbuild's image_configurations/MAIN_image_default.cmake sets in
    # the application, the board and flash facts of the build, and the
    # layout's application fragment (CONFIG_ROM_START_OFFSET, the mode).
    return {
        "CONFIG_BOARD": BOARD,
        "CONFIG_BOARD_TARGET": f"{BOARD}/{QUALIFIERS}",
        "CONFIG_SOC": QUALIFIERS,
        "CONFIG_FLASH_LOAD_OFFSET": slot0[0],
        "CONFIG_FLASH_LOAD_SIZE": slot0[1],
        "CONFIG_USE_DT_CODE_PARTITION": True,
        "CONFIG_BOOTLOADER_MCUBOOT": True,
        "CONFIG_MCUBOOT_SIGNATURE_KEY_FILE": str(req.keys_dir / "signing.pem"),
        "CONFIG_MCUBOOT_ENCRYPTION_KEY_FILE": str(req.keys_dir / "encryption.pem"),
        "CONFIG_MCUBOOT_IMGTOOL_SIGN_VERSION": req.version,
        "CONFIG_MCUBOOT_IMG_MANAGER": True,
        "CONFIG_KERNEL_BIN_NAME": "zephyr",
        **fragment(req.layout.app_fragment),
    }


def mcuboot_config(req: DemoBuild) -> str:
    # What sysbuild's BOOTLOADER_image_default.cmake sets in MCUboot for
    # these SB_CONFIG_ values, and the layout's MCUboot fragment (mode,
    # sector count).
    return kconfig({
        "CONFIG_BOARD": BOARD,
        "CONFIG_BOARD_TARGET": f"{BOARD}/{QUALIFIERS}",
        "CONFIG_FLASH_LOAD_OFFSET": 0,
        "CONFIG_BOOT_SIGNATURE_TYPE_ECDSA_P256": True,
        "CONFIG_BOOT_SIGNATURE_KEY_FILE": str(req.keys_dir / "signing.pem"),
        "CONFIG_BOOT_ENCRYPT_IMAGE": True,
        "CONFIG_BOOT_ENCRYPT_EC256": True,
        "CONFIG_BOOT_ENCRYPTION_KEY_FILE": str(req.keys_dir / "encryption.pem"),
        "CONFIG_UPDATEABLE_IMAGE_NUMBER": 1,
        "CONFIG_KERNEL_BIN_NAME": "zephyr",
        **fragment(req.layout.mcuboot_fragment),
    })


def read_ihex(path: Path) -> tuple[int, bytes]:
    """(start address, bytes) of a contiguous Intel HEX file."""
    data: dict[int, bytes] = {}
    base = 0
    for number, line in enumerate(path.read_text().split(), 1):
        record = bytes.fromhex(line[1:])
        if not line.startswith(":") or sum(record) & 0xFF or len(record) != record[0] + 5:
            raise ValueError(f"{path}:{number}: not an Intel HEX record: {line!r}")
        kind, address, payload = record[3], int.from_bytes(record[1:3], "big"), record[4:-1]
        if kind == 0x00:
            data[base + address] = payload
        elif kind == 0x02:                    # extended segment address
            base = int.from_bytes(payload, "big") << 4
        elif kind == 0x04:                    # extended linear address
            base = int.from_bytes(payload, "big") << 16
    start = min(data)
    image = bytearray()
    for address in sorted(data):
        if address != start + len(image):
            raise ValueError(f"{path}: gap or overlap at {address:#x}")
        image += data[address]
    return start, bytes(image)


def ihex(address: int, data: bytes) -> bytes:
    """Intel HEX text for ``data`` at ``address``: 16-byte records, type 04 for the upper half."""
    def record(kind: int, offset: int, payload: bytes) -> str:
        body = bytes([len(payload)]) + offset.to_bytes(2, "big") + bytes([kind]) + payload
        return ":" + (body + bytes([-sum(body) & 0xFF])).hex().upper()

    lines, upper = [], None
    for pos in range(0, len(data), 16):
        here = address + pos
        if here >> 16 != upper:
            upper = here >> 16
            lines.append(record(0x04, 0, upper.to_bytes(2, "big")))
        lines.append(record(0x00, here & 0xFFFF, data[pos:pos + 16]))
    lines.append(record(0x01, 0, b""))
    return ("\n".join(lines) + "\n").encode()


def app_hex(req: DemoBuild, slot0: tuple[int, int], header_size: int) -> bytes:
    """The firmware placed at slot0 after the header gap, as Intel HEX."""
    _, payload = read_ihex(req.firmware_hex)
    return ihex(slot0[0], bytes(header_size) + payload)


def placeholder_mcuboot_hex() -> bytes:
    """A minimal Cortex-M image at 0x0: stack pointer, reset vector, `b .`."""
    reset = 0x100                              # after a 64-entry vector table
    vectors = struct.pack("<II", SRAM_END, reset | 1)  # Thumb bit set
    image = bytearray(vectors.ljust(reset, b"\0"))
    image += struct.pack("<H", 0xE7FE)         # Thumb `b .`: branch to itself
    return ihex(0, bytes(image))


def domains_yaml(build: Path) -> str:
    # share/sysbuild/cmake/domains.cmake: default, build_dir, domains, flash_order
    return (f"default: {APP}\nbuild_dir: {build}\ndomains:\n"
            f"  - name: {APP}\n    build_dir: {build / APP}\n"
            f"  - name: {MCUBOOT}\n    build_dir: {build / MCUBOOT}\n"
            f"flash_order:\n  - {MCUBOOT}\n  - {APP}\n")


def build_info_yaml(req: DemoBuild) -> str:
    return (f"cmake:\n  application:\n    source-dir: {req.app_source}\n"
            f"  board:\n    name: {BOARD}\n    qualifiers: {QUALIFIERS}\n    revision: ''\n"
            f"  zephyr:\n    version: {ZEPHYR_VERSION}\n    zephyr-base: ''\n")


def cmake_cache(source: Path) -> str:
    return (f"APPLICATION_SOURCE_DIR:PATH={source}\nAPPLICATION_CONFIG_DIR:PATH={source}\n"
            f"BOARD:STRING={BOARD}/{QUALIFIERS}\n")


def assemble(req: DemoBuild) -> Path:
    """Write the build directory; returns it."""
    build = req.out.resolve()
    app_dt = merged_devicetree(req.board_dts, req.layout.app_overlay)
    boot_dt = merged_devicetree(req.board_dts, req.layout.mcuboot_overlay)
    slot0 = partition(app_dt, "slot0_partition")
    app_kconfig = app_config(req, slot0)
    write(build / "domains.yaml", domains_yaml(build))
    write(build / "build_info.yml", build_info_yaml(req))
    write(build / "zephyr" / ".config", sysbuild_config(req))
    app = build / APP
    write(app / "CMakeCache.txt", cmake_cache(req.app_source))
    write(app / "zephyr" / ".config", kconfig(app_kconfig))
    write(app / "zephyr" / "zephyr.dts", str(app_dt))
    header_size = app_kconfig.get("CONFIG_ROM_START_OFFSET")
    if not isinstance(header_size, int) or header_size <= 0:
        raise ValueError(f"{req.layout.app_fragment}: expected CONFIG_ROM_START_OFFSET "
                         f"(the MCUboot header size), got {header_size!r}")
    (app / "zephyr" / "zephyr.hex").write_bytes(app_hex(req, slot0, header_size))
    boot = build / MCUBOOT
    write(boot / "CMakeCache.txt", cmake_cache(Path("bootloader/mcuboot/boot/zephyr")))
    write(boot / "zephyr" / ".config", mcuboot_config(req))
    write(boot / "zephyr" / "zephyr.dts", str(boot_dt))
    (boot / "zephyr" / "zephyr.hex").write_bytes(placeholder_mcuboot_hex())
    return build
