"""Raw binary firmware: the file's bytes, one segment at 0, no base address.

Entry point: ``read_bin(path) -> Firmware``.
"""

from __future__ import annotations

import os

from zephyr_ota.errors import InputError
from zephyr_ota.fileio import read_input
from zephyr_ota.firmware.model import Firmware, Segment


def read_bin(path: str | os.PathLike[str]) -> Firmware:
    """Read a raw binary; an empty file is an ``InputError``."""
    data = read_input(path, "firmware file")
    if not data:
        raise InputError(f"{path}: empty firmware file: expected at least one byte")
    return Firmware(str(path), "bin", (Segment(0, data),), base_address=None)
