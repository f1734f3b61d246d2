"""ELF firmware: the bytes of its loadable segments, placed where they load.

Entry point: ``read_elf(path) -> Firmware``.

Every ``PT_LOAD`` program header with file bytes (``p_filesz > 0``) becomes a
segment at its physical address ``p_paddr`` (the LMA, where the bytes sit
in flash); ``p_vaddr`` is where they run. Zephyr's ``.data`` runs from RAM
but is loaded from flash right after the code, so only ``p_paddr`` places it
right (eerimoq/bincopy ``add_elf`` and ``objcopy -O binary`` do the same).
The zero-filled tail (``p_memsz > p_filesz``, ``.bss``) is not in flash.
pyelftools is imported here only, when an ELF is actually read.
"""

from __future__ import annotations

import io
import os
import struct
from itertools import pairwise

from zephyr_ota.errors import InputError
from zephyr_ota.fileio import read_input
from zephyr_ota.firmware.model import Firmware, Segment

ELF_MAGIC = b"\x7fELF"


def _load_segments(path: str, raw: bytes) -> list[Segment]:
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    segments = []
    try:
        elf = ELFFile(io.BytesIO(raw))
        for index, header in enumerate(elf.iter_segments()):
            if header["p_type"] != "PT_LOAD" or header["p_filesz"] == 0:
                continue
            data = header.data()
            if len(data) != header["p_filesz"]:
                raise InputError(f"{path}: program header {index}: expected "
                                 f"{header['p_filesz']} bytes of file data, found {len(data)}")
            segments.append(Segment(header["p_paddr"], data))
    except (ELFError, ValueError, KeyError, IndexError, OSError, struct.error) as e:
        raise InputError(f"{path}: malformed ELF file: {e}") from e
    return segments


def read_elf(path: str | os.PathLike[str]) -> Firmware:
    """Read the loadable segments of an ELF file, sorted by load address."""
    raw = read_input(path, "ELF file")
    if not raw.startswith(ELF_MAGIC):
        raise InputError(f"{path}: expected an ELF file (magic 7f 45 4c 46), "
                         f"found {raw[:4].hex(' ') or 'an empty file'}")
    segments = sorted(_load_segments(str(path), raw), key=lambda s: s.address)
    if not segments:
        raise InputError(f"{path}: no loadable segments: expected at least one PT_LOAD "
                         f"program header with file data")
    for before, after in pairwise(segments):
        if after.address < before.end:
            raise InputError(f"{path}: loadable segments overlap: 0x{after.address:X}.."
                             f"0x{min(before.end, after.end):X} is loaded twice")
    return Firmware(str(path), "elf", _merge(segments), base_address=segments[0].address)


def _merge(segments: list[Segment]) -> tuple[Segment, ...]:
    """Join segments that follow each other in memory into one."""
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].end == segment.address:
            merged[-1] = Segment(merged[-1].address, merged[-1].data + segment.data)
        else:
            merged.append(segment)
    return tuple(merged)
