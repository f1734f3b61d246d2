"""Helpers for the image engine tests: synthesized firmware, imgtool runner."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def firmware_bytes(size: int, header: int = 32, seed: int = 1) -> bytes:
    """``header`` zero bytes (room for the image header) then pseudo-random code."""
    import random

    rnd = random.Random(seed)
    return bytes(header) + rnd.randbytes(size)


def write_hex(path: Path, data: bytes, address: int) -> Path:
    from intelhex import IntelHex

    ih = IntelHex()
    ih.frombytes(data, offset=address)
    ih.tofile(str(path), "hex")
    return path


@dataclass
class Run:
    rc: int
    out: str
    err: str


def imgtool(*args: str | os.PathLike[str]) -> Run:
    """Run imgtool 2.5.0 in-process through click."""
    from click.testing import CliRunner
    from imgtool.main import imgtool as imgtool_cli

    result = CliRunner().invoke(imgtool_cli, [str(a) for a in args], catch_exceptions=False)
    return Run(result.exit_code, result.output, "")
