"""Firmware inputs: raw binary, Intel HEX and ELF, read into one model.

Entry points: ``load_firmware(path, erased_val=0xFF, kind=None) -> Firmware`` (format chosen
by ``kind``, else by extension, else by the file's magic), ``Firmware``,
``Segment``, and for hex output ``write_hex`` / ``HexWriter`` (module
``ihex``). Each reader lives in its own module (``binfile``, ``ihex``,
``elf``) and imports its heavy dependencies only when called.
"""

from __future__ import annotations

import os
from pathlib import Path

from zephyr_ota.firmware.model import Firmware, FirmwareKind, Segment

HEX_SUFFIXES = (".hex", ".ihex", ".ihx")
ELF_SUFFIXES = (".elf", ".axf", ".out")
BIN_SUFFIXES = (".bin", ".img", ".signed")


def detect_kind(path: str | os.PathLike[str]) -> FirmwareKind:
    """The format of ``path``: by extension (``.hex``, ``.elf``, ``.bin`` and
    kin, so a ``.bin`` is raw whatever it starts with, as imgtool reads it);
    any other name is an ELF when it starts with the ELF magic, else raw."""
    suffix = Path(path).suffix.lower()
    if suffix in HEX_SUFFIXES:
        return "hex"
    if suffix in ELF_SUFFIXES:
        return "elf"
    if suffix in BIN_SUFFIXES:
        return "bin"
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        head = b""  # the reader reports the problem with the file
    return "elf" if head == b"\x7fELF" else "bin"


def load_firmware(path: str | os.PathLike[str], erased_val: int = 0xFF,
                  kind: FirmwareKind | None = None) -> Firmware:
    """Read firmware from ``path``; ``kind`` forces a format.

    ``erased_val`` (0x00 or 0xFF) is checked here for callers that pass it
    along; gaps are filled only when the bytes are asked for
    (``Firmware.to_bytes(erased_val)`` / ``chunks(erased_val)``).
    """
    if erased_val not in (0x00, 0xFF):
        raise ValueError(f"erased_val: expected 0x00 or 0xff, got {erased_val:#x}")
    kind = kind or detect_kind(path)
    if kind == "hex":
        from zephyr_ota.firmware.ihex import read_hex
        return read_hex(path)
    if kind == "elf":
        from zephyr_ota.firmware.elf import read_elf
        return read_elf(path)
    from zephyr_ota.firmware.binfile import read_bin
    return read_bin(path)


__all__ = ["Firmware", "FirmwareKind", "Segment", "detect_kind", "load_firmware"]
